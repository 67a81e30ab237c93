// Adapt mode in the services: which mode a training run uses (asked for, reused from the current run, or chosen
// within the time budget and checked on held-out images), and the step itself: the engine trains the backbone's
// top on the cached block-12 maps and caches the adapted features, and the heads then train on those. A retrain
// after review reuses the adapted top (only its cached output is computed for new images); re-adaptation is an
// explicit `--mode adapt`.
import { join } from 'node:path';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { AdaptJobResult, ExtractResult, EngineProgress, TrainRequest } from '../../engine/host/protocol.js';
import type { TrainOptions } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';

/** Default --budget: the whole `ssod train --mode adapt` at 10,000 images on two cores. */
export const DEFAULT_ADAPT_BUDGET_SECONDS = 300;
/** Joint epochs an automatic adapt run trains (AdaptConfig.epochs' default). */
const AUTO_EPOCHS = 6;
/** Seconds per image per joint epoch on wasm, block 16 + Conv_1 training. 128 is measured: a whole
 * `ssod train --mode adapt` on 10,000 Fashion-MNIST images took 67–96 s per epoch at load 2.4–3.2 (docs/ssod.md,
 * "Adapt mode: measured"); 96, 160 and 224 keep the ratios an earlier per-size bench measured between sizes. Rounded
 * up, so the budget check errs on the side of fewer epochs. */
const SECONDS_PER_IMAGE_EPOCH: [number, number][] = [
  [96, 0.0048],
  [128, 0.008],
  [160, 0.0104],
  [224, 0.0125],
];
/** Per image at input 128, the adapt step besides its joint epochs: preparing the frozen blocks' outputs and the
 * warm-up (25 s at 10,000 images), fitting the map's projection and writing every image's adapted features
 * (26 s); measured in the default run of docs/ssod.md. Other sizes scale as an epoch does. */
const ADAPT_FIXED_PER_IMAGE = 0.0052;
/** Of that, the part after the training: the projection and the adapted features written (what the engine's
 * training budget leaves room for). */
const ADAPT_WRITE_PER_IMAGE = 0.0027;
/** Per image at input 128, the heads and every scorer on the projected adapted map, 5 folds and the all-data
 * model, trained cold (docs/ssod.md, "A retrain on an adapted top"). */
const HEADS_PER_IMAGE = 0.0025;
/** Start-up, planning and storing the run (its rows, thresholds and model): fixed and per image. */
const OTHER_SECONDS = 8;
const OTHER_PER_IMAGE = 0.0006;
/** Reviewed OOD images an automatic run needs before it trains both modes and lets them compete: fewer give an
 * AUROC too noisy to choose by (the same bar as the default scorer's choice). */
export const MIN_REVIEWED_OOD_FOR_MODE = 10;
/** Held-out ID accuracy adapting may lose before the run warns. */
const MAX_ACCURACY_LOSS = 0.05;

/** What a run records about its adapted top (metrics.adapt), and what a later retrain reuses. */
export interface AdaptRecord {
  modelPath: string;
  sha256: string;
  adaptedKey: string;
  /** Feature-cache key of the block-12 maps it reads. */
  baseKey: string;
  inputSize: number;
  seconds: number;
  trainedInRun?: number;
  /** Standing review decisions when it was trained (the app offers re-adapting once enough have come since). */
  decisionsAtTraining?: number;
  summary?: Omit<AdaptJobResult['summary'], 'heldOutRows'>;
}

export interface ModeDecision {
  mode: 'heads' | 'adapt';
  /** 'train' = adapt now; 'reuse' = the current run's adapted top; 'none' = heads on pretrained features;
   * 'validate' = train both and keep the one that separates reviewed OOD from held-out ID better (mode-choice.ts). */
  adapt: 'train' | 'reuse' | 'none' | 'validate';
  reason: string;
  budgetSeconds: number;
  estimatedSeconds?: number;
  /** Joint epochs an adapt run trains: the default, fewer when that does not fit the budget (at least 1). */
  epochs?: number;
  /** How the whole run's budget is shared (absent when no adapting was considered). */
  budget?: RunBudget;
  reuse?: AdaptRecord;
}

const OVERHEAD_SECONDS = 5;

function rateAt(inputSize: number): number {
  return SECONDS_PER_IMAGE_EPOCH.find(([s]) => inputSize <= s)?.[1] ?? SECONDS_PER_IMAGE_EPOCH.at(-1)![1];
}

function epochSeconds(images: number, inputSize: number): number {
  return images * rateAt(inputSize);
}

/** Seconds per image of a part measured at input 128, at another input size (it scales as an epoch does). */
function atSize(perImageAt128: number, inputSize: number): number {
  return perImageAt128 * (rateAt(inputSize) / rateAt(128));
}

/** The adapt step: its joint epochs, preparation, warm-up and writing the adapted features. */
export function estimateAdaptSeconds(images: number, inputSize: number, epochs = AUTO_EPOCHS): number {
  return (
    epochSeconds(images, inputSize) * epochs + images * atSize(ADAPT_FIXED_PER_IMAGE, inputSize) + OVERHEAD_SECONDS
  );
}

/** How a run's --budget is shared: what extraction took (measured), what the heads and storing the run will take
 * (predicted), and the rest for the adapt step. Recorded in the run (metrics.adapt.budget). */
export interface RunBudget {
  /** The whole run's budget (--budget). */
  total: number;
  extractSeconds: number;
  /** Heads and every scorer on the adapted features (both modes' heads when the modes are validated). */
  headsSeconds: number;
  /** Start-up, planning and storing the run. */
  otherSeconds: number;
  /** What is left for the adapt step. */
  adaptSeconds: number;
  /** Of that, what the engine's training may take before it stops starting epochs (the rest writes features). */
  trainSeconds: number;
}

export function runBudget(
  total: number,
  extractSeconds: number,
  images: number,
  inputSize: number,
  headsTrainings = 1,
): RunBudget {
  const headsSeconds = headsTrainings * images * atSize(HEADS_PER_IMAGE, inputSize);
  const otherSeconds = OTHER_SECONDS + images * OTHER_PER_IMAGE;
  const adaptSeconds = Math.max(0, total - extractSeconds - headsSeconds - otherSeconds);
  const trainSeconds = Math.max(1, adaptSeconds - images * atSize(ADAPT_WRITE_PER_IMAGE, inputSize) - OVERHEAD_SECONDS);
  return { total, extractSeconds, headsSeconds, otherSeconds, adaptSeconds, trainSeconds };
}

/** The most joint epochs (up to the default, at least 1) whose estimate fits the adapt step's seconds. */
function epochsWithin(adaptSeconds: number, images: number, inputSize: number): number {
  const fixed = estimateAdaptSeconds(images, inputSize, 0);
  const fit = Math.floor((adaptSeconds - fixed) / Math.max(1e-9, epochSeconds(images, inputSize)));
  return Math.max(1, Math.min(AUTO_EPOCHS, fit));
}

/** The run a retrain follows: its metrics say whether it adapted. */
export type PreviousRun = { metrics: Record<string, unknown> } | undefined;

function previousAdapt(previous: PreviousRun): AdaptRecord | undefined {
  const a = (previous?.metrics as { adapt?: { record?: AdaptRecord } } | undefined)?.adapt?.record;
  return a && typeof a.modelPath === 'string' && typeof a.adaptedKey === 'string' ? a : undefined;
}

/** A plain retrain after an adapt run extracts at the input size the adapted top was trained at: with the size
 * chosen from the images instead (say 96 after `--mode adapt --input-size 128`), its features would fit no adapted
 * top and the retrain would silently fall back to heads on the pretrained backbone. Explicit options win. */
export function followAdaptedTop(options: TrainOptions, previous: PreviousRun): TrainOptions {
  const plain = options.mode === undefined && options.inputSize === undefined && options.layer === undefined;
  const record = previousAdapt(previous);
  if (!plain || !record || (options.backbone ?? 'mobilenet_v2') !== 'mobilenet_v2') return options;
  return { ...options, inputSize: record.inputSize };
}

type ExtractSeen = Pick<ExtractResult, 'backboneKey' | 'preprocess' | 'layout'> &
  Partial<Pick<ExtractResult, 'seconds'>>;

/** `--mode adapt`: the adapt step gets what the budget leaves after extraction, the heads and storing the run. */
function askedAdapt(budget: RunBudget, trainImages: number, inputSize: number): ModeDecision {
  const epochs = epochsWithin(budget.adaptSeconds, trainImages, inputSize);
  const estimatedSeconds = estimateAdaptSeconds(trainImages, inputSize, epochs);
  const share =
    `${Math.round(budget.adaptSeconds)} s of the run's budget of ${budget.total} s (extraction took ` +
    `${Math.round(budget.extractSeconds)} s; heads and storing the run about ${Math.round(budget.headsSeconds + budget.otherSeconds)} s)`;
  const within =
    epochs < AUTO_EPOCHS
      ? `; ${epochs} joint epoch(s) of ${AUTO_EPOCHS} fit ${share}`
      : `; all ${AUTO_EPOCHS} joint epochs fit ${share}`;
  return {
    budgetSeconds: budget.total,
    budget,
    mode: 'adapt',
    adapt: 'train',
    epochs,
    estimatedSeconds,
    reason: `adapt mode was asked for: the top is trained anew (about ${Math.round(estimatedSeconds)} s${within})`,
  };
}

/** No --mode and no adapted top to reuse: validate both modes when adapting fits and there is reviewed OOD. */
function automaticMode(budget: RunBudget, trainImages: number, inputSize: number, reviewedOod: number): ModeDecision {
  const base = { budgetSeconds: budget.total, budget };
  const estimatedSeconds = estimateAdaptSeconds(trainImages, inputSize);
  if (estimatedSeconds > budget.adaptSeconds)
    return {
      ...base,
      mode: 'heads',
      adapt: 'none',
      estimatedSeconds,
      reason:
        `adapting ${trainImages} images would take about ${Math.round(estimatedSeconds)} s, over the ` +
        `${Math.round(budget.adaptSeconds)} s the budget of ${budget.total} s (--budget) leaves it`,
    };
  const fits = `adapting ${trainImages} images fits the budget (about ${Math.round(estimatedSeconds)} s of ${Math.round(budget.adaptSeconds)} s left of ${budget.total} s)`;
  if (reviewedOod >= MIN_REVIEWED_OOD_FOR_MODE)
    return {
      ...base,
      mode: 'heads',
      adapt: 'validate',
      epochs: AUTO_EPOCHS,
      estimatedSeconds,
      reason: `${fits}: both modes are trained and the one that separates the ${reviewedOod} reviewed OOD images from held-out ID images better is kept`,
    };
  // Measured (docs/ssod.md, "Adapt mode: measured"): adapting raised held-out ID accuracy but lowered OOD AUROC on
  // held-out data, and ID data alone cannot tell which way it goes; without reviewed OOD there is nothing to
  // validate on, so heads mode stays.
  return {
    ...base,
    mode: 'heads',
    adapt: 'none',
    estimatedSeconds,
    reason:
      `${fits}, but only ${reviewedOod} reviewed OOD image(s) to validate it on (${MIN_REVIEWED_OOD_FOR_MODE} needed), and on ` +
      'held-out benchmark data adapting lowered OOD separation: heads mode (--mode adapt to adapt anyway)',
  };
}

/** The run's mode. The budget covers the whole run: the adapt step gets what is left after the measured
 * extraction and the predicted heads and storing (`extract.seconds`, when given, is what extraction took). */
export function decideMode(
  options: TrainOptions,
  previous: PreviousRun,
  extract: ExtractSeen,
  trainImages: number,
  engineAdapts = true,
  reviewedOod = 0,
): ModeDecision {
  const budgetSeconds = options.budget ?? DEFAULT_ADAPT_BUDGET_SECONDS;
  const base = { budgetSeconds };
  const size = extract.preprocess.size;
  const adaptable = (options.backbone ?? 'mobilenet_v2') === 'mobilenet_v2' && extract.layout.mapC === 96;
  const extractSeconds = extract.seconds ?? 0;
  if (options.mode === 'adapt') {
    if (!adaptable)
      throw new AppError(
        'invalid-argument',
        'adapt mode trains the top of the bundled mobilenet_v2 above its block-12 map: use the default backbone and layer',
      );
    return askedAdapt(runBudget(budgetSeconds, extractSeconds, trainImages, size), trainImages, size);
  }
  if (options.mode !== undefined)
    return { ...base, mode: 'heads', adapt: 'none', reason: `${options.mode} mode was asked for` };
  if (!adaptable)
    return {
      ...base,
      mode: 'heads',
      adapt: 'none',
      reason: 'adapt mode needs the bundled mobilenet_v2 at its block-12 map',
    };
  if (!engineAdapts) return { ...base, mode: 'heads', adapt: 'none', reason: 'this engine cannot run adapt mode' };
  const reuse = previousAdapt(previous);
  if (reuse && reuse.baseKey === extract.backboneKey)
    return {
      ...base,
      mode: 'adapt',
      adapt: 'reuse',
      reuse,
      reason: `retrain: the adapted top of run ${reuse.trainedInRun ?? '?'} is reused (re-adapt with --mode adapt)`,
    };
  // Validating trains the heads twice: on the pretrained features and on the adapted ones.
  const budget = runBudget(budgetSeconds, extractSeconds, trainImages, size, 2);
  return automaticMode(budget, trainImages, size, reviewedOod);
}

export interface AdaptOutcome {
  /** The extraction as the heads see it: the adapted features' key and layout. */
  extract: ExtractResult;
  decision: ModeDecision;
  record?: AdaptRecord;
  /** Said in the run when the adapted top classifies held-out images worse than the pretrained one. */
  warning?: string;
  /** When both modes were trained and compared (mode-choice.ts): the figures and what each step cost. */
  validation?: Record<string, unknown>;
}

function engineAdapt(engine: EngineClient): Required<Pick<EngineClient, 'trainAdapt' | 'adaptFeatures'>> {
  if (!engine.trainAdapt || !engine.adaptFeatures) throw new AppError('refused', 'this engine cannot run adapt mode');
  return { trainAdapt: engine.trainAdapt.bind(engine), adaptFeatures: engine.adaptFeatures.bind(engine) };
}

async function reuseAdapted(
  project: ProjectHandle,
  engine: EngineClient,
  record: AdaptRecord,
  items: string[],
  ctx: JobContext,
): Promise<string> {
  const out = await engineAdapt(engine).adaptFeatures(
    { cacheDir: project.featuresDir, backboneKey: record.baseKey, modelPath: record.modelPath, items },
    (p) => ctx.progress({ phase: 'adapt-features', done: p.done, total: p.total }),
    ctx.signal,
  );
  return out.adaptedKey;
}

/** Label of a reviewer-rejected image in a train request (the engine's OOD_LABEL). */
const REVIEWED_OOD_LABEL = -1;

export interface AdaptedTop {
  key: string;
  record: AdaptRecord;
  result: AdaptJobResult;
  /** Content hashes of the ID images the top held out (never trained on). */
  heldOut: string[];
}

/** Trains the top. `withoutReviewedOod` keeps reviewer-rejected images out of it, so they can validate it. */
export async function trainAdapted(
  project: ProjectHandle,
  engine: EngineClient,
  extract: ExtractResult,
  request: Omit<TrainRequest, 'kind'>,
  runId: number,
  ctx: JobContext,
  options: { epochs?: number; withoutReviewedOod?: boolean; trainSeconds?: number } = {},
): Promise<AdaptedTop> {
  const { epochs, withoutReviewedOod = false, trainSeconds } = options;
  const progress = (p: EngineProgress): void =>
    ctx.progress({ phase: p.phase, done: p.done, total: p.total, loss: p.loss, message: p.message });
  const seed = request.config?.seed;
  const train = request.train
    .filter((t) => t.source === undefined && !(withoutReviewedOod && t.label === REVIEWED_OOD_LABEL))
    .map((t) => ({ sha256: t.sha256, label: t.label }));
  const result = await engineAdapt(engine).trainAdapt(
    {
      cacheDir: project.featuresDir,
      backboneKey: extract.backboneKey,
      classes: request.classes,
      train,
      score: request.score,
      config: {
        ...(seed !== undefined ? { seed } : {}),
        ...(epochs !== undefined ? { epochs } : {}),
        ...(request.config?.gamma !== undefined ? { gamma: request.config.gamma } : {}),
        ...(request.config?.alpha !== undefined ? { alpha: request.config.alpha } : {}),
      },
      ...(trainSeconds !== undefined ? { budgetSeconds: trainSeconds } : {}),
      preprocess: extract.preprocess,
      modelOut: join(project.modelsDir, `adapt-run-${runId}.json`),
      // One place for every run: a run killed mid-way is resumed by the next one (same data and config).
      checkpointDir: join(project.modelsDir, 'adapt.checkpoint'),
    },
    progress,
    ctx.signal,
  );
  // The hold-out list is for this run's comparison only; the stored record stays small.
  const { heldOutRows = [], ...summary } = result.summary;
  const record: AdaptRecord = {
    modelPath: result.modelPath,
    sha256: result.sha256,
    adaptedKey: result.adaptedKey,
    baseKey: extract.backboneKey,
    inputSize: extract.preprocess.size,
    seconds: result.seconds,
    trainedInRun: runId,
    summary,
  };
  const heldOut = heldOutRows.flatMap((r) => (train[r] ? [train[r].sha256] : []));
  return { key: result.adaptedKey, record, result, heldOut };
}

/** Runs the decided adapt step; the heads request then reads the adapted features (`request` is updated). */
export async function runAdaptStep(
  project: ProjectHandle,
  engine: EngineClient,
  decision: ModeDecision,
  extract: ExtractResult,
  request: Omit<TrainRequest, 'kind'>,
  runId: number,
  ctx: JobContext,
): Promise<AdaptOutcome> {
  if (decision.adapt === 'none') return { extract, decision };
  if (decision.adapt === 'reuse') {
    const record = decision.reuse!;
    const items = [...request.train.map((t) => t.sha256), ...request.score];
    const key = await reuseAdapted(project, engine, record, items, ctx);
    request.backboneKey = key;
    const layout = record.summary?.layout ?? extract.layout;
    return { extract: { ...extract, backboneKey: key, layout }, decision, record };
  }
  const { key, record, result } = await trainAdapted(project, engine, extract, request, runId, ctx, {
    ...(decision.epochs !== undefined ? { epochs: decision.epochs } : {}),
    ...(decision.budget ? { trainSeconds: decision.budget.trainSeconds } : {}),
    withoutReviewedOod: decision.adapt === 'validate',
  });
  const { valAccuracy, valAccuracyBefore } = result.summary;
  const lost =
    valAccuracy !== undefined && valAccuracyBefore !== undefined && valAccuracy < valAccuracyBefore - MAX_ACCURACY_LOSS;
  request.backboneKey = key;
  return {
    extract: { ...extract, backboneKey: key, layout: result.layout },
    decision,
    record,
    ...(lost
      ? {
          warning: `adapting lost held-out ID accuracy (${valAccuracyBefore.toFixed(3)} -> ${valAccuracy.toFixed(3)}): consider --mode heads`,
        }
      : {}),
  };
}

function roundedBudget(b: RunBudget): Record<keyof RunBudget, number> {
  const r = (v: number): number => Math.round(v * 10) / 10;
  return {
    total: b.total,
    extractSeconds: r(b.extractSeconds),
    headsSeconds: r(b.headsSeconds),
    otherSeconds: r(b.otherSeconds),
    adaptSeconds: r(b.adaptSeconds),
    trainSeconds: r(b.trainSeconds),
  };
}

/** What the run's metrics say about the mode (metrics.adapt). */
export function adaptMetrics(outcome: AdaptOutcome): Record<string, unknown> {
  const { decision, record, warning, validation } = outcome;
  const warnings = [...(record?.summary?.warnings ?? []), ...(warning ? [warning] : [])];
  return {
    mode: decision.mode,
    step: decision.adapt,
    reason: decision.reason,
    budgetSeconds: decision.budgetSeconds,
    ...(decision.estimatedSeconds !== undefined ? { estimatedSeconds: decision.estimatedSeconds } : {}),
    ...(decision.budget ? { budget: roundedBudget(decision.budget) } : {}),
    ...(record ? { record, seconds: decision.adapt === 'train' ? record.seconds : 0 } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(validation ? { validation } : {}),
  };
}

/** For scoring new images with an adapt run: their adapted features (cached), or undefined for other runs. */
export async function adaptedFeaturesFor(
  project: ProjectHandle,
  engine: EngineClient,
  run: PreviousRun,
  items: string[],
  ctx: JobContext,
): Promise<{ key: string; layout: ExtractResult['layout'] } | undefined> {
  const record = previousAdapt(run);
  if (!record) return undefined;
  const layout = record.summary?.layout;
  if (!layout) throw new AppError('no-run', "the run's adapted top records no layout: retrain with --mode adapt");
  return { key: await reuseAdapted(project, engine, record, items, ctx), layout };
}
