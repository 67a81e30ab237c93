// Scoring images with a stored run: extract (cached) features with the run's backbone, then the run's model
// scores every distinct content hash that extracted.
import type { ImageBrief } from '../../db/index.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { ShaScore } from '../../engine/host/protocol.js';
import type { FeatureLayout } from '../../engine/types.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { runTrainOptions, type ScoringRun } from './current-run.js';
import { adaptedFeaturesFor } from './adapt-step.js';
import { extractFeatures } from './extract-features.js';

export async function scoreImages(
  project: ProjectHandle,
  engine: EngineClient,
  run: ScoringRun,
  images: ImageBrief[],
  ctx: JobContext,
): Promise<{ scores: ShaScore[]; layout: FeatureLayout }> {
  const extract = await extractFeatures(project, engine, images, runTrainOptions(run), ctx);
  const failed = new Set(extract.failed.map((f) => f.sha256));
  const items = [...new Set(images.map((i) => i.sha256!).filter((s) => !failed.has(s)))];
  // An adapt run's heads read adapted features: the run's adapted top turns the new maps into them.
  const adapted = await adaptedFeaturesFor(project, engine, run, items, ctx);
  const scores = await engine.score(
    {
      modelPath: run.modelPath,
      cacheDir: project.featuresDir,
      backboneKey: adapted?.key ?? extract.backboneKey,
      items,
    },
    (p) => ctx.progress({ phase: 'score', done: p.done, total: p.total }),
    ctx.signal,
  );
  return { scores, layout: adapted?.layout ?? extract.layout };
}
