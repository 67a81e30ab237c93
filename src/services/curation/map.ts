// `curation.map`: the 2-D map of the current run's images (on the curation worker over the cached pooled
// features), each point with what the map colours by: class, score, flag, decision and quality flags.
import { mapPoints, replaceMapPoints, type CurationImage } from '../../db/curation-repo.js';
import type { RunRecord } from '../../db/index.js';
import { runCuration } from '../../engine/curation/worker-client.js';
import type { MapOptions, MapPointDto, MapPointInfo, MapReport, QualityFlag } from '../../shared/curation-dto.js';
import { qualityFlagsByImage } from '../../db/image-sets.js';
import { AppError } from '../../shared/errors.js';
import { backboneKeyOf, imagesOf, requireRun } from './run.js';
import type { ProjectHandle } from '../project-handle.js';

export async function computeMap(p: ProjectHandle, options: MapOptions, signal?: AbortSignal): Promise<MapReport> {
  const run = requireRun(p);
  const method = options.method ?? 'umap';
  const images = imagesOf(p, run).filter((im) => im.sha256 !== null && im.top.length > 0);
  const byId = new Map(images.map((im) => [im.id, im]));
  let points = options.recompute ? null : mapPoints(p.db, run.id, method);
  if (!points) {
    if (images.length === 0) throw new AppError('no-run', 'the current run scored no image: train first');
    const shas = [...new Set(images.map((im) => im.sha256!))];
    const r = await runCuration(
      { kind: 'map', method, cacheDir: p.featuresDir, backboneKey: backboneKeyOf(run), shas },
      undefined,
      signal,
    );
    if (r.kind !== 'map') throw new Error('curation worker answered another request');
    const rowOf = new Map(shas.map((s, i) => [s, i]));
    const missing = new Set(r.missing);
    points = images
      .filter((im) => !missing.has(rowOf.get(im.sha256!)!))
      .map((im) => {
        const k = rowOf.get(im.sha256!)!;
        return { imageId: im.id, x: r.layout[2 * k]!, y: r.layout[2 * k + 1]! };
      });
    replaceMapPoints(p.db, run.id, method, points);
  }
  return { runId: run.id, method, scorer: run.defaultScorer, points: decorate(p, run, byId, points) };
}

/** Each point with what the map colours by. */
function decorate(
  p: ProjectHandle,
  run: RunRecord,
  byId: ReadonlyMap<number, CurationImage>,
  points: readonly MapPointDto[],
): MapPointInfo[] {
  const threshold = run.thresholds[run.defaultScorer];
  const quality = qualityFlagsByImage(p.db);
  return points.flatMap((pt): MapPointInfo[] => {
    const im = byId.get(pt.imageId);
    if (!im) return [];
    const flagged = im.score === null || threshold === undefined ? null : im.score > threshold;
    const decision = (im.decision?.action ?? null) as MapPointInfo['decision'];
    const flags = (quality.get(im.id) ?? []) as QualityFlag[];
    return [{ ...pt, path: im.path, class: im.class, score: im.score, flagged, decision, quality: flags }];
  });
}
