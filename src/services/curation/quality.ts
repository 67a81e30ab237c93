// `curation.quality`: image-quality flags from the stored per-content statistics, with thresholds the user
// sets (kept in the project's settings). Changing a threshold re-flags without decoding anything.
import { getSetting, setSetting } from '../../db/index.js';
import {
  checkThresholds,
  colourShare,
  DEFAULT_QUALITY_THRESHOLDS,
  qualityFlags,
  type QualityStats,
} from '../../engine/curation/image-quality.js';
import type { QualityFlag, QualityReport, QualityThresholdsDto } from '../../shared/curation-dto.js';
import { AppError } from '../../shared/errors.js';
import { contentStats, curationImages, type ContentStats, type CurationImage } from '../../db/curation-repo.js';
import { replaceQualityFlags } from '../../db/image-sets.js';
import { ensureContentStats } from './stats.js';
import type { ProjectHandle } from '../project-handle.js';

const KEY = 'curation.qualityThresholds';

export function qualityThresholds(p: ProjectHandle): QualityThresholdsDto {
  return { ...DEFAULT_QUALITY_THRESHOLDS, ...getSetting<Partial<QualityThresholdsDto>>(p.db, KEY, {}) };
}

export function setQualityThresholds(p: ProjectHandle, patch: Partial<QualityThresholdsDto>): QualityThresholdsDto {
  const next = { ...qualityThresholds(p), ...patch };
  try {
    checkThresholds(next);
  } catch (e) {
    throw new AppError('invalid-argument', (e as Error).message);
  }
  setSetting(p.db, KEY, next);
  refreshQualityFlags(p);
  return next;
}

/** Every image's flags from the stored statistics (images without statistics yet are left out). */
function flagImages(p: ProjectHandle, stats: ReadonlyMap<string, ContentStats>, images: readonly CurationImage[]) {
  const t = qualityThresholds(p);
  const withStats = images.flatMap((im) => {
    const s = im.sha256 ? stats.get(im.sha256) : undefined;
    if (!s) return [];
    const q: QualityStats = { ...s, width: im.width, height: im.height };
    return [{ im, q }];
  });
  const share = colourShare(
    withStats.map((w) => w.q),
    t,
  );
  const flagged = withStats.map(({ im, q }) => ({ im, q, flags: qualityFlags(q, t, share) }));
  // The grid's quality filter (ImageQuery.quality) reads what was flagged last.
  replaceQualityFlags(
    p.db,
    flagged.filter((f) => f.flags.length > 0).map((f) => ({ imageId: f.im.id, flags: f.flags })),
  );
  return { thresholds: t, flagged };
}

/** Re-flags from the statistics already stored (no decoding): on opening a project, after a threshold change. */
export function refreshQualityFlags(p: ProjectHandle): void {
  const stats = contentStats(p.db);
  // No statistics yet (quality never computed): no image can carry a flag, so the images are not listed. Listing
  // them on every open held ~1 KB per image on the heap (250,000 images: ~220 MiB) until V8 collected it.
  if (stats.size === 0) {
    replaceQualityFlags(p.db, []);
    return;
  }
  flagImages(p, stats, [...curationImages(p.db, null, null)]);
}

export async function computeQuality(p: ProjectHandle, kind?: QualityFlag, limit?: number): Promise<QualityReport> {
  // Quality needs no run: it reads the scan's thumbnails.
  const images = [...curationImages(p.db, null, null)];
  const { thresholds, flagged } = flagImages(p, await ensureContentStats(p, images), images);
  const counts: Partial<Record<QualityFlag, number>> = {};
  const out: QualityReport['images'] = [];
  for (const { im, q, flags } of flagged) {
    for (const f of flags) counts[f] = (counts[f] ?? 0) + 1;
    if (flags.length === 0 || (kind && !flags.includes(kind))) continue;
    out.push({ imageId: im.id, path: im.path, class: im.class, role: im.role, flags, ...q });
  }
  return { thresholds, counts, images: limit ? out.slice(0, limit) : out };
}
