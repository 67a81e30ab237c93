// Scoring new images with the current run (`ssod score`, after a scan found new files). Train images keep their
// out-of-fold scores: rescoring them with a model that saw them would make them look better than they are.
import { iterateImages, scoresByImage, writeResults } from '../../db/index.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { groupBySha } from '../pipeline/by-content-hash.js';
import { requireRun } from '../pipeline/current-run.js';
import { toRunResults } from '../pipeline/run-results.js';
import { scoreImages } from '../pipeline/score-images.js';

export async function runScore(
  project: ProjectHandle,
  engine: EngineClient,
  ctx: JobContext,
): Promise<{ scored: number; runId: number }> {
  const run = requireRun(project);
  const scored = scoresByImage(project.db, run.id, run.defaultScorer);
  const pending = [...iterateImages(project.db, { status: 'ok' })].filter((i) => i.sha256 && !scored.has(i.id));
  if (!pending.length) return { scored: 0, runId: run.id };
  const { scores, layout } = await scoreImages(project, engine, run, pending, ctx);
  const rows = toRunResults(scores, groupBySha(pending), {
    classes: run.classes,
    defaultScorer: run.defaultScorer,
    threshold: run.thresholds[run.defaultScorer],
    layout,
  });
  writeResults(project.db, run.id, rows);
  return { scored: rows.length, runId: run.id };
}
