// What every curation call starts from: the current run ("train first" without one) and its images.
import { curationImages, type CurationImage } from '../../db/curation-repo.js';
import { currentRun, type RunRecord } from '../../db/index.js';
import { AppError } from '../../shared/errors.js';
import type { ProjectHandle } from '../project-handle.js';

export function requireRun(p: ProjectHandle): RunRecord {
  const run = currentRun(p.db);
  if (!run) throw new AppError('no-run', 'this project has no run yet: train first (ssod train DIR)');
  return run;
}

export function backboneKeyOf(run: RunRecord): string {
  const key = (run.config as { backboneKey?: unknown }).backboneKey;
  if (typeof key !== 'string') throw new AppError('no-run', `run ${run.id} records no feature cache key: train again`);
  return key;
}

export function imagesOf(p: ProjectHandle, run: RunRecord): CurationImage[] {
  return [...curationImages(p.db, run.id, run.defaultScorer)];
}
