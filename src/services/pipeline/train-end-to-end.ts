// End-to-end mode in the services: refuse early where convolutions cannot train at a useful speed, fine-tune the
// backbone in the engine, and hand back the saved backbone as the spec every later extraction uses. Heads
// training and scoring then run exactly as in heads mode, on features of the fine-tuned backbone.
import { join } from 'node:path';
import { assertEndToEndAllowed } from '../../engine/backbones/end-to-end-policy.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { EndToEndResult } from '../../engine/host/protocol.js';
import type { LossPoint, TrainOptions } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import type { TrainingSet } from './training-set.js';

/** Loss points kept in the run per end-to-end training (longer curves are averaged into this many bins). */
const MAX_CURVE_POINTS = 500;

/** What the run records about the fine-tuned backbone (config.fineTunedBackbone). */
export interface FineTunedBackbone {
  /** What the user asked to fine-tune, e.g. 'small-cnn'. */
  base: string;
  /** `tfjs:<model.json>#<map layer>`: the backbone extraction uses for this run, now and in `ssod score`. */
  spec: string;
  modelPath: string;
  sha256: string;
  inputSize: number;
  steps: number;
  batchSize: number;
  trainedImages: number;
  undecodable: number;
  backend: string;
  seconds: number;
}

/** Refuses end-to-end mode before anything is extracted or recorded: wasm never, cpu only when forced. */
export async function checkEndToEndAllowed(engine: EngineClient, options: TrainOptions): Promise<void> {
  if (!engine.trainEndToEnd) {
    throw new AppError('refused', 'this engine cannot train end to end; use --mode heads');
  }
  if (options.layer !== undefined) {
    throw new AppError(
      'invalid-argument',
      '--layer picks a mobilenet_v2 layer for heads mode; end-to-end mode trains its own map',
    );
  }
  const status = await engine.status();
  const forced = options.backend === status.backend.name || status.forcedBackend === status.backend.name;
  assertEndToEndAllowed(status.backend, forced);
}

/** Steps as loss points with phase 'end-to-end' (epoch = step number, 1-based), at most MAX_CURVE_POINTS. */
export function endToEndCurve(losses: readonly number[]): LossPoint[] {
  const bin = Math.max(1, Math.ceil(losses.length / MAX_CURVE_POINTS));
  const out: LossPoint[] = [];
  for (let start = 0; start < losses.length; start += bin) {
    const part = losses.slice(start, start + bin);
    out.push({ epoch: start + part.length, phase: 'end-to-end', loss: part.reduce((a, b) => a + b, 0) / part.length });
  }
  return out;
}

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Fine-tunes the backbone on the training set (ID images by class, rejected images as OOD) and saves it under
 * the project's models folder. */
export async function fineTuneBackbone(
  project: ProjectHandle,
  engine: EngineClient,
  set: TrainingSet,
  options: TrainOptions,
  base: string,
  ctx: JobContext,
): Promise<{ result: EndToEndResult; record: FineTunedBackbone }> {
  if (!engine.trainEndToEnd) throw new AppError('refused', 'this engine cannot train end to end; use --mode heads');
  const seen = new Set<string>();
  const items = set.train
    .filter((t) => t.image.sha256 !== null && !seen.has(t.image.sha256) && (seen.add(t.image.sha256), true))
    .map((t) => ({ sha256: t.image.sha256!, path: t.image.path, label: t.label }));
  const medianSide = median(
    set.train.map((t) => Math.min(t.image.width ?? 32, t.image.height ?? 32)).filter((v) => v > 0),
  );
  ctx.progress({ phase: 'end-to-end', done: 0, total: 1 });
  const result = await engine.trainEndToEnd(
    {
      items,
      classes: set.classes.length,
      backbone: base,
      ...(options.inputSize !== undefined ? { inputSize: options.inputSize } : {}),
      ...(medianSide !== undefined ? { medianSide } : {}),
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(options.gamma !== undefined ? { gamma: options.gamma } : {}),
      ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
      seed: options.seed ?? 1,
      outDir: join(project.modelsDir, 'backbones'),
    },
    (p) => ctx.progress({ phase: p.phase, done: p.done, total: p.total, loss: p.loss, message: p.message }),
    ctx.signal,
  );
  return {
    result,
    record: {
      base,
      spec: result.spec,
      modelPath: result.modelJsonPath,
      sha256: result.sha256,
      inputSize: result.inputSize,
      steps: result.steps,
      batchSize: result.batchSize,
      trainedImages: result.trained,
      undecodable: result.failed.length,
      backend: result.backend.name,
      seconds: result.seconds,
    },
  };
}
