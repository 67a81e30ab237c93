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
  scorePercentile,
  scoreSeries,
  storedHistogram,
  binCounts,
} from '../db/index.js';

import type { ImageService } from '../shared/api.js';
import type { Histogram, ImageDetail, ImageQuery } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { ServiceContext } from './context.js';

export function createImageService(ctx: ServiceContext): ImageService {
  return {
    async list(query) {
      const { runId, defaultScorer } = runInfo(ctx);
      return queryImages(ctx.current().db, { ...query, runId, defaultScorer });
    },
    get: async (id) => imageDetail(ctx, id),
    resolve: async (ref) => resolveImage(ctx, ref),
    histogram: async (scorer, bins, query) => histogram(ctx, scorer, bins, query),
    async classes() {
      return listClasses(ctx.current().db);
    },
  };
}

function runInfo(ctx: ServiceContext) {
  const run = currentRun(ctx.current().db);
  return { run, runId: run?.id ?? null, defaultScorer: run?.defaultScorer ?? 'ssod' };
}

function imageDetail(ctx: ServiceContext, id: number): ImageDetail {
  const { db } = ctx.current();
  const { run, runId } = runInfo(ctx);
  const row = getImage(db, id, runId);
  const percentiles: Record<string, number> = {};
  let heatmap: ImageDetail['heatmap'] = null;
  let topClasses: ImageDetail['topClasses'] = [];
  if (run) {
    for (const [scorer, value] of Object.entries(row.scores)) {
      percentiles[scorer] = scorePercentile(db, run.id, scorer, value);
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

function histogram(ctx: ServiceContext, scorer: string, bins: number, query?: ImageQuery): Histogram {
  const { run, runId, defaultScorer } = runInfo(ctx);
  const n = Math.max(1, Math.min(512, Math.floor(bins)));
  const threshold = run?.thresholds[scorer] ?? null;
  if (!run) return { scorer, min: 0, max: 1, bins: n, series: [], threshold: null };
  const { db } = ctx.current();
  // Unfiltered: the run's stored summary; filtered: only the images the grid shows.
  const filtered =
    query && Object.keys(query).some((k) => !['sortBy', 'order', 'offset', 'limit', 'threshold'].includes(k));
  const counts = filtered
    ? binCounts(scoreSeries(db, { ...query, runId, defaultScorer }, scorer).values, n, threshold)
    : storedHistogram(db, run.id, scorer, n, threshold);
  if (!counts) return { scorer, min: 0, max: 1, bins: n, series: [], threshold };
  const series = [
    { label: 'in-distribution', counts: counts.passing },
    { label: 'flagged', counts: counts.flagged },
  ];
  return { scorer, min: counts.min, max: counts.max, bins: n, series, threshold };
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
