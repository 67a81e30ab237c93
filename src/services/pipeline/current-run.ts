// The run that scores new images: the current one, with the backbone it extracted with, so features of images
// scored later match the features the run's heads were trained on.
import { currentRun, type RunRecord } from '../../db/index.js';
import type { TrainOptions } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { ProjectHandle } from '../project-handle.js';

export type ScoringRun = RunRecord & { modelPath: string };

export function requireRun(project: ProjectHandle): ScoringRun {
  const run = currentRun(project.db);
  if (!run || !run.modelPath) throw new AppError('no-run', 'no trained run yet: run `ssod train` first');
  return run as ScoringRun;
}

/** The options the run extracted with: after an end-to-end run that is the fine-tuned backbone the run saved,
 * not the base it started from. */
export function runTrainOptions(run: RunRecord): TrainOptions {
  const c = run.config as {
    backbone?: string;
    inputSize?: number;
    layer?: string;
    preprocess?: { size?: number };
    fineTunedBackbone?: { spec?: string; inputSize?: number };
  };
  const fineTuned = c.fineTunedBackbone?.spec;
  if (fineTuned) return { backbone: fineTuned, inputSize: c.fineTunedBackbone?.inputSize ?? c.preprocess?.size };
  return { backbone: c.backbone ?? run.backbone, inputSize: c.preprocess?.size ?? c.inputSize, layer: c.layer };
}
