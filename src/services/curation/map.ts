// `curation.map` and `curation.similar`: the 2-D map of the current run's images and "more like this", both on
// the curation worker over the cached pooled features.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mapPoints, replaceMapPoints } from '../../db/curation-repo.js';
import { runCuration } from '../../engine/curation/worker-client.js';
import type { MapOptions, MapReport, SimilarHit } from '../../shared/curation-dto.js';
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
  return {
    runId: run.id,
    method,
    points: points.flatMap((pt) => {
      const im = byId.get(pt.imageId);
      return im ? [{ ...pt, path: im.path, class: im.class }] : [];
    }),
  };
}

/** The content hash of a file outside the project, to find it among the project's images. */
async function shaOfFile(file: string): Promise<string> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch (e) {
    throw new AppError('not-found', `cannot read ${file}: ${(e as Error).message}`);
  }
}

export async function findSimilar(
  p: ProjectHandle,
  ref: { imageId?: number; file?: string },
  limit: number,
): Promise<SimilarHit[]> {
  const run = requireRun(p);
  const images = imagesOf(p, run).filter((im) => im.sha256 !== null);
  let querySha: string | undefined;
  if (ref.imageId !== undefined) querySha = images.find((im) => im.id === ref.imageId)?.sha256 ?? undefined;
  else if (ref.file) querySha = await shaOfFile(ref.file);
  if (!querySha) throw new AppError('not-found', 'give an image of the project (its id or path) to find more like it');
  const shas = [...new Set(images.map((im) => im.sha256!))];
  if (!shas.includes(querySha)) {
    throw new AppError(
      'not-found',
      "that file is not one of the project's scanned images: add its folder and scan it first",
    );
  }
  const r = await runCuration({
    kind: 'similar',
    cacheDir: p.featuresDir,
    backboneKey: backboneKeyOf(run),
    shas,
    query: querySha,
    k: limit,
  });
  if (r.kind !== 'similar') throw new Error('curation worker answered another request');
  const bySha = new Map<string, typeof images>();
  for (const im of images) bySha.set(im.sha256!, [...(bySha.get(im.sha256!) ?? []), im]);
  return r.neighbours
    .flatMap((n) =>
      (bySha.get(shas[n.row]!) ?? []).map((im) => ({
        imageId: im.id,
        path: im.path,
        class: im.class,
        role: im.role,
        similarity: n.similarity,
      })),
    )
    .slice(0, limit);
}
