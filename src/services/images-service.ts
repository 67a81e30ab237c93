import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  currentRun,
  getHeatmap,
  getImage,
  getRunImage,
  history,
  imageIdByPath,
  imageExists,
  listClasses,
  listSources,
  queryImages,
  scoreDistribution,
  scoreSeries,
} from '../db/index.js';
import type { ImageService } from '../shared/api.js';
import type { Histogram, ImageDetail, ImageQuery } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { ServiceContext } from './context.js';

/** Percentile by binary search in the run's sorted scores; cached per run and scorer until a job rewrites them. */
function percentileIn(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? (100 * lo) / sorted.length : 0;
}

export function createImageService(ctx: ServiceContext): ImageService {
  const distributions = new Map<string, Float64Array>();
  ctx.bus.on('job.finished', () => distributions.clear());
  ctx.bus.on('project.changed', () => distributions.clear());
  const distribution = (runId: number, scorer: string): Float64Array => {
    const key = `${runId}:${scorer}`;
    let d = distributions.get(key);
    if (!d) {
      d = scoreDistribution(ctx.current().db, runId, scorer);
      distributions.set(key, d);
    }
    return d;
  };
  const runInfo = () => {
    const run = currentRun(ctx.current().db);
    return { run, runId: run?.id ?? null, defaultScorer: run?.defaultScorer ?? 'ssod' };
  };
  return {
    async list(query) {
      const { runId, defaultScorer } = runInfo();
      return queryImages(ctx.current().db, { ...query, runId, defaultScorer });
    },

    async get(id) {
      const { db } = ctx.current();
      const { run, runId } = runInfo();
      const row = getImage(db, id, runId);
      const percentiles: Record<string, number> = {};
      let heatmap: ImageDetail['heatmap'] = null;
      let topClasses: ImageDetail['topClasses'] = [];
      if (run) {
        for (const [scorer, value] of Object.entries(row.scores)) {
          percentiles[scorer] = percentileIn(distribution(run.id, scorer), value);
        }
        heatmap = getHeatmap(db, run.id, id);
        topClasses = getRunImage(db, run.id, id)?.top ?? [];
      }
      return { ...row, heatmap, percentiles, topClasses, history: history(db, { imageId: id }) };
    },

    async resolve(ref) {
      const { db } = ctx.current();
      if (/^\d+$/.test(ref) && imageExists(db, Number(ref))) return Number(ref);
      const abs = isAbsolute(ref) ? ref : resolve(ref);
      for (const source of listSources(db)) {
        const rel = relative(source.path, abs);
        if (!rel.startsWith('..') && !isAbsolute(rel)) {
          const id = imageIdByPath(db, source.id, rel);
          if (id !== null) return id;
        }
        const id = imageIdByPath(db, source.id, ref);
        if (id !== null) return id;
      }
      throw new AppError('not-found', `no image in this project matches '${ref}' (give its path or id)`);
    },

    async histogram(scorer, bins, query?: ImageQuery): Promise<Histogram> {
      const { run, runId, defaultScorer } = runInfo();
      const n = Math.max(1, Math.min(512, Math.floor(bins)));
      const threshold = run?.thresholds[scorer] ?? null;
      if (!run) return { scorer, min: 0, max: 1, bins: n, series: [], threshold: null };
      // Unfiltered: the cached distribution; filtered: only the images the grid shows.
      const filtered =
        query && Object.keys(query).some((k) => !['sortBy', 'order', 'offset', 'limit', 'threshold'].includes(k));
      const values = filtered
        ? scoreSeries(ctx.current().db, { ...query, runId, defaultScorer }, scorer).values
        : distribution(run.id, scorer);
      if (!values.length) return { scorer, min: 0, max: 1, bins: n, series: [], threshold };
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max === min) max = min + 1e-9;
      const passing = new Array<number>(n).fill(0);
      const flagged = new Array<number>(n).fill(0);
      for (const v of values) {
        const b = Math.min(n - 1, Math.floor(((v - min) / (max - min)) * n));
        if (threshold !== null && v > threshold) flagged[b]! += 1;
        else passing[b]! += 1;
      }
      return {
        scorer,
        min,
        max,
        bins: n,
        series: [
          { label: 'in-distribution', counts: passing },
          { label: 'flagged', counts: flagged },
        ],
        threshold,
      };
    },

    async classes() {
      return listClasses(ctx.current().db);
    },
  };
}

/** Absolute path of an image for serving bytes by id. */
export function imagePath(
  ctx: ServiceContext,
  id: number,
): { path: string; format: string | null; sha256: string | null } {
  const { db } = ctx.current();
  const row = getImage(db, id);
  return { path: join(row.path), format: row.format, sha256: row.sha256 };
}
