// `curation.duplicates`: exact copies from the scan's content hashes, near copies from the run's cached pooled
// features (candidates on the curation worker) confirmed by perceptual hashes of the thumbnails; stored per run.
import { duplicateGroups, replaceDuplicateGroups, type CurationImage } from '../../db/curation-repo.js';
import {
  buildGroups,
  confirmPairs,
  DEFAULT_NEAR_OPTIONS,
  distinctRows,
  type DuplicateItem,
} from '../../engine/curation/duplicates.js';
import { runCuration } from '../../engine/curation/worker-client.js';
import type { DuplicateOptions, DuplicateReport, DuplicateRelation } from '../../shared/curation-dto.js';
import { ensureContentStats } from './stats.js';
import type { ProjectHandle } from '../project-handle.js';
import { backboneKeyOf, imagesOf, requireRun } from './run.js';

export async function computeDuplicates(p: ProjectHandle, options: DuplicateOptions): Promise<DuplicateReport> {
  const run = requireRun(p);
  const stored = options.recompute ? null : duplicateGroups(p.db, run.id);
  const images = imagesOf(p, run);
  if (stored) return report(run.id, images, stored, 0);
  const stats = await ensureContentStats(p, images);
  const items: DuplicateItem[] = images.map((im) => ({
    id: im.id,
    sha256: im.sha256,
    className: im.class,
    role: im.role,
    width: im.width,
    height: im.height,
    bytes: im.bytes,
    ...(im.sha256 && stats.has(im.sha256) ? { sharpness: stats.get(im.sha256)!.sharpness } : {}),
  }));
  const { rowItems } = distinctRows(items);
  const rowSha = rowItems.map((r) => items[r[0]!]!.sha256 ?? '');
  const near = await runCuration({
    kind: 'near-pairs',
    cacheDir: p.featuresDir,
    backboneKey: backboneKeyOf(run),
    shas: rowSha,
    minCosine: options.minCosine ?? DEFAULT_NEAR_OPTIONS.minCosine,
  });
  if (near.kind !== 'near-pairs') throw new Error('curation worker answered another request');
  const hashes = (row: number): { dHash: [number, number]; pHash: [number, number] } | undefined =>
    stats.get(rowSha[row]!);
  const confirmed = confirmPairs(near.pairs, hashes, options.maxHashDistance ?? DEFAULT_NEAR_OPTIONS.maxHashDistance);
  const groups = buildGroups(items, rowItems, confirmed);
  replaceDuplicateGroups(
    p.db,
    run.id,
    groups.map((g) => ({
      kind: g.kind,
      similarity: g.similarity,
      relations: g.relations,
      keeperImageId: items[g.keeper]!.id,
      keeperReason: g.keeperReason,
      imageIds: g.members.map((m) => items[m]!.id),
    })),
  );
  return report(run.id, images, duplicateGroups(p.db, run.id) ?? [], near.missing.length);
}

function report(
  runId: number,
  images: readonly CurationImage[],
  groups: NonNullable<ReturnType<typeof duplicateGroups>>,
  skipped: number,
): DuplicateReport {
  const byId = new Map(images.map((im) => [im.id, im]));
  return {
    runId,
    skipped,
    groups: groups.map((g) => ({
      id: g.id,
      kind: g.kind,
      similarity: g.similarity,
      relations: g.relations as DuplicateRelation[],
      keeper: g.keeperImageId,
      keeperReason: g.keeperReason,
      images: g.imageIds
        .map((id) => byId.get(id))
        .filter((im): im is CurationImage => im !== undefined)
        .map((im) => ({
          imageId: im.id,
          path: im.path,
          class: im.class,
          role: im.role,
          width: im.width,
          height: im.height,
        })),
    })),
  };
}
