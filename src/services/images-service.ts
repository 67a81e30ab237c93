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

/** A run's sorted scores per scorer, read once and dropped whenever a job may have rewritten them. */
class Distributions {
  private readonly cache = new Map<string, Float64Array>();

  constructor(private readonly ctx: ServiceContext) {
    ctx.bus.on('job.finished', () => this.cache.clear());
    ctx.bus.on('project.changed', () => this.cache.clear());
  }

  of(runId: number, scorer: string): Float64Array {
    const key = `${runId}:${scorer}`;
    let d = this.cache.get(key);
    if (!d) {
      d = scoreDistribution(this.ctx.current().db, runId, scorer);
      this.cache.set(key, d);
    }
    return d;
  }
}

export function createImageService(ctx: ServiceContext): ImageService {
  const distributions = new Distributions(ctx);
  return {
    async list(query) {
      const { runId, defaultScorer } = runInfo(ctx);
      return queryImages(ctx.current().db, { ...query, runId, defaultScorer });
    },
    get: async (id) => imageDetail(ctx, distributions, id),
    resolve: async (ref) => resolveImage(ctx, ref),
    histogram: async (scorer, bins, query) => histogram(ctx, distributions, scorer, bins, query),
    async classes() {
      return listClasses(ctx.current().db);
    },
  };
}

function runInfo(ctx: ServiceContext) {
  const run = currentRun(ctx.current().db);
  return { run, runId: run?.id ?? null, defaultScorer: run?.defaultScorer ?? 'ssod' };
}

function imageDetail(ctx: ServiceContext, distributions: Distributions, id: number): ImageDetail {
  const { db } = ctx.current();
  const { run, runId } = runInfo(ctx);
  const row = getImage(db, id, runId);
  const percentiles: Record<string, number> = {};
  let heatmap: ImageDetail['heatmap'] = null;
  let topClasses: ImageDetail['topClasses'] = [];
  if (run) {
    for (const [scorer, value] of Object.entries(row.scores)) {
      percentiles[scorer] = percentileIn(distributions.of(run.id, scorer), value);
    }
    heatmap = getHeatmap(db, run.id, id);
    topClasses = getRunImage(db, run.id, id)?.top ?? [];
  }
  return { ...row, heatmap, percentiles, topClasses, history: history(db, { imageId: id }) };
}

/** A numeric id, a path (absolute, or relative to the working folder), or a path relative to a source. */
function resolveImage(ctx: ServiceContext, ref: string): number {
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
}

function histogram(
  ctx: ServiceContext,
  distributions: Distributions,
  scorer: string,
  bins: number,
  query?: ImageQuery,
): Histogram {
  const { run, runId, defaultScorer } = runInfo(ctx);
  const n = Math.max(1, Math.min(512, Math.floor(bins)));
  const threshold = run?.thresholds[scorer] ?? null;
  if (!run) return { scorer, min: 0, max: 1, bins: n, series: [], threshold: null };
  // Unfiltered: the cached distribution; filtered: only the images the grid shows.
  const filtered =
    query && Object.keys(query).some((k) => !['sortBy', 'order', 'offset', 'limit', 'threshold'].includes(k));
  const values = filtered
    ? scoreSeries(ctx.current().db, { ...query, runId, defaultScorer }, scorer).values
    : distributions.of(run.id, scorer);
  if (!values.length) return { scorer, min: 0, max: 1, bins: n, series: [], threshold };
  return binned(scorer, values, n, threshold);
}

/** Counts per bin, split at the threshold into passing and flagged. */
function binned(scorer: string, values: ArrayLike<number>, n: number, threshold: number | null): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) max = min + 1e-9;
  const passing = new Array<number>(n).fill(0);
  const flagged = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const b = Math.min(n - 1, Math.floor(((v - min) / (max - min)) * n));
    if (threshold !== null && v > threshold) flagged[b]! += 1;
    else passing[b]! += 1;
  }
  const series = [
    { label: 'in-distribution', counts: passing },
    { label: 'flagged', counts: flagged },
  ];
  return { scorer, min, max, bins: n, series, threshold };
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
