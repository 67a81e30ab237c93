// Train: fine-tune the backbone when asked (end-to-end mode), extract missing features, train SSOD heads with
// out-of-fold scoring (widening the sampling with crops when the background is degenerate), store the run and its
// scores, and make it current. Review decisions feed the training set (pipeline/training-set.ts).
import { join } from 'node:path';
import {
  createRun,
  currentRun,
  failRun,
  finishRun,
  lastEventId,
  setCurrentRun,
  writeResults,
  type ImageBrief,
} from '../../db/index.js';
import type { EngineClient } from '../../engine/host/engine-client-interface.js';
import type { ExtractResult, EngineProgress, TrainRequest, TrainResult } from '../../engine/host/protocol.js';
import type { RunSummary, TrainOptions } from '../../shared/dto.js';
import { AppError } from '../../shared/errors.js';
import type { JobContext } from '../../shared/dto.js';
import type { ProjectHandle } from '../project-handle.js';
import { groupBySha, uniqueBySha } from '../pipeline/by-content-hash.js';
import { DEFAULT_BACKBONE, backboneRequest, extractFeatures } from '../pipeline/extract-features.js';
import { toRunResults } from '../pipeline/run-results.js';
import {
  checkEndToEndAllowed,
  endToEndCurve,
  fineTuneBackbone,
  type FineTunedBackbone,
} from '../pipeline/train-end-to-end.js';
import { buildTrainingSet, type TrainingSet } from '../pipeline/training-set.js';
import { MIN_CLASS_EXAMPLES } from '../../shared/labeling-dto.js';
import {
  adaptMetrics,
  decideMode,
  followAdaptedTop,
  runAdaptStep,
  type AdaptOutcome,
  type ModeDecision,
} from '../pipeline/adapt-step.js';
import { validateModes } from '../pipeline/mode-choice.js';
import {
  decideWidening,
  retrainWidening,
  samplingOf,
  stillDegenerateWarning,
  widenSampling,
  type WidenedMetrics,
} from '../pipeline/widen-sampling.js';

/** What one training run works on, settled before the run is recorded. */
interface TrainPlan {
  options: TrainOptions;
  set: TrainingSet;
  /** Train and inbox images: everything extracted and scored. */
  all: ImageBrief[];
  seed: number;
  /** Options extraction runs with: after end-to-end fine-tuning, the saved backbone. */
  extractOptions: TrainOptions;
  fineTuned: { result: { losses: number[] }; record: FineTunedBackbone } | undefined;
}

/** The engine's training result, possibly after a second round with crops. */
interface HeadsOutcome {
  result: TrainResult;
  widened: WidenedMetrics | undefined;
  widenExtractSeconds: number | undefined;
}

interface TrainInput {
  request: Omit<TrainRequest, 'kind'>;
  trainCount: number;
  scoreCount: number;
}

export async function runTraining(
  project: ProjectHandle,
  engine: EngineClient,
  options: TrainOptions,
  ctx: JobContext,
): Promise<RunSummary> {
  const plan = await planTraining(project, engine, options, ctx);
  ctx.progress({ phase: 'extract', done: 0, total: plan.all.length });
  const extract = await extractFeatures(project, engine, plan.all, plan.extractOptions, ctx);
  // Adapt mode trains its own crops (of the cached maps): no widening with image crops on top.
  const decision = decideMode(
    options,
    currentRun(project.db) ?? undefined,
    extract,
    plan.set.train.length,
    engine.trainAdapt !== undefined,
    plan.set.train.filter((t) => t.label === -1).length,
  );
  if (decision.mode === 'adapt') plan.options = { ...options, mode: 'adapt', crops: 0 };
  const run = recordRun(project, plan, extract);
  try {
    const input = trainInput(project, plan, extract, run.id);
    const started = performance.now();
    const { adapted, heads } = await modeAndHeads(project, engine, plan, decision, extract, input.request, run.id, ctx);
    // A top trained in this run remembers the decisions it saw: the app offers re-adapting once enough come after.
    if (adapted.record?.trainedInRun === run.id) adapted.record.decisionsAtTraining = plan.set.decisions;
    heads.result.metrics.adapt = adaptMetrics(adapted);
    return storeRun(project, run.id, { plan, extract: adapted.extract, input, heads, started }, ctx);
  } catch (error) {
    const cancelled = ctx.signal.aborted;
    failRun(project.db, run.id, (error as Error).message, cancelled ? 'cancelled' : 'failed');
    throw error;
  }
}

/** The adapt step the decision asks for, then the heads; or both modes trained and the one that validates better
 * kept (pipeline/mode-choice.ts). Heads on adapted features never widen with image crops. */
async function modeAndHeads(
  project: ProjectHandle,
  engine: EngineClient,
  plan: TrainPlan,
  decision: ModeDecision,
  extract: ExtractResult,
  request: Omit<TrainRequest, 'kind'>,
  runId: number,
  ctx: JobContext,
): Promise<{ adapted: AdaptOutcome; heads: HeadsOutcome }> {
  if (decision.adapt === 'validate') {
    const noCrops: TrainPlan = { ...plan, options: { ...plan.options, crops: 0 } };
    const v = await validateModes({
      ...{ project, engine, decision, extract, request, runId, ctx },
      trainHeads: (r) => trainHeads(project, engine, r.backboneKey === extract.backboneKey ? plan : noCrops, r, ctx),
    });
    return { adapted: v.outcome, heads: v.heads };
  }
  const adapted = await runAdaptStep(project, engine, decision, extract, request, runId, ctx);
  return { adapted, heads: await trainHeads(project, engine, plan, request, ctx) };
}

async function planTraining(
  project: ProjectHandle,
  engine: EngineClient,
  asked: TrainOptions,
  ctx: JobContext,
): Promise<TrainPlan> {
  const options = followAdaptedTop(asked, currentRun(project.db) ?? undefined);
  const endToEnd = options.mode === 'end-to-end';
  if (endToEnd) await checkEndToEndAllowed(engine, options);
  const set = buildTrainingSet(project);
  if (set.classes.length < 2) {
    throw new AppError('invalid-argument', tooFewClassesMessage(set));
  }
  const base = options.backbone ?? DEFAULT_BACKBONE;
  // End-to-end: fine-tune first, then every image is extracted with the fine-tuned backbone.
  const fineTuned = endToEnd ? await fineTuneBackbone(project, engine, set, options, base, ctx) : undefined;
  const extractOptions: TrainOptions = fineTuned
    ? { ...options, backbone: fineTuned.record.spec, inputSize: fineTuned.record.inputSize, layer: undefined }
    : options;
  const all = [...set.train.map((t) => t.image), ...set.inbox];
  return { options, set, all, seed: options.seed ?? 1, extractOptions, fineTuned };
}

/** Names what was found, so a one-class project knows what to add. */
function tooFewClassesMessage(set: TrainingSet): string {
  const found = set.classes.length === 0 ? 'none' : set.classes.map((c) => `'${c}'`).join(', ');
  const small = set.leftOut.map((c) => `'${c.class}' (${c.examples})`).join(', ');
  return (
    `training needs at least 2 classes of train images (a class is a subfolder of a train source with at least ` +
    `${MIN_CLASS_EXAMPLES} distinct images); found ${set.classes.length}: ${found}` +
    (small ? `; too small to train on: ${small}` : '')
  );
}

function recordRun(project: ProjectHandle, plan: TrainPlan, extract: ExtractResult): RunSummary {
  const { options, seed, fineTuned } = plan;
  const { mode = 'heads', ...rest } = options;
  return createRun(project.db, {
    backbone: options.backbone ?? DEFAULT_BACKBONE,
    backend: extract.backend.name,
    seed,
    // `mode` leads, as it did when the CLI passed every option (undefined ones too) straight to the services.
    config: {
      mode,
      ...rest,
      seed,
      backboneKey: extract.backboneKey,
      identity: extract.identity,
      preprocess: extract.preprocess,
      layout: extract.layout,
      backendSkipped: extract.backend.skipped,
      workers: extract.workers,
      ...(fineTuned ? { fineTunedBackbone: fineTuned.record } : {}),
    },
  });
}

/** The engine's train request: distinct contents that extracted; inbox images the train set does not hold. */
function trainInput(project: ProjectHandle, plan: TrainPlan, extract: ExtractResult, runId: number): TrainInput {
  const { set, options, seed } = plan;
  const failed = new Set(extract.failed.map((f) => f.sha256));
  const trainItems = uniqueBySha(set.train.map((t) => ({ sha256: t.image.sha256, label: t.label }))).filter(
    (t) => !failed.has(t.sha256!),
  );
  const trained = new Set(trainItems.map((t) => t.sha256));
  const scoreItems = uniqueBySha(set.inbox)
    .map((i) => i.sha256!)
    .filter((s) => !failed.has(s) && !trained.has(s));
  const request: Omit<TrainRequest, 'kind'> = {
    cacheDir: project.featuresDir,
    backboneKey: extract.backboneKey,
    classes: set.classes,
    train: trainItems.map((t) => ({ sha256: t.sha256!, label: t.label })),
    score: scoreItems,
    config: {
      seed,
      ...(options.folds !== undefined ? { folds: options.folds } : {}),
      ...(options.gamma !== undefined ? { gamma: options.gamma } : {}),
      ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    },
    modelOut: join(project.modelsDir, `run-${runId}.json`),
  };
  // The engine starts from the previous run's models only if that run matches (same features, classes, folds).
  const warmFrom = currentRun(project.db)?.modelPath;
  if (warmFrom) request.warmFrom = warmFrom;
  return { request, trainCount: trainItems.length, scoreCount: scoreItems.length };
}

/** A degenerate background (or an explicit --crops) trains with random crops; that result is the run. A retrain
 * follows what the previous run found (retrainWidening). */
async function trainHeads(
  project: ProjectHandle,
  engine: EngineClient,
  plan: TrainPlan,
  request: Omit<TrainRequest, 'kind'>,
  ctx: JobContext,
): Promise<HeadsOutcome> {
  const { options, set } = plan;
  const previous = currentRun(project.db);
  const carried = retrainWidening(options.crops, previous && { id: previous.id, metrics: previous.metrics });
  const progress = (p: EngineProgress): void =>
    ctx.progress({ phase: p.phase, done: p.done, total: p.total, loss: p.loss, message: p.message });
  let result = carried.kind === 'upfront' ? undefined : await engine.train(request, progress, ctx.signal);
  let widened: WidenedMetrics | undefined;
  let widenExtractSeconds: number | undefined;
  const decision =
    carried.kind === 'upfront'
      ? carried.decision
      : carried.kind === 'skip'
        ? null
        : decideWidening(options.crops, result!.metrics);
  if (decision) {
    const paths = new Map(set.train.map((t) => [t.image.sha256, t.image.path]));
    const backbone = backboneRequest(project, plan.all, plan.extractOptions);
    const out = await widenSampling(
      engine,
      { decision, request, backbone, pathOf: (sha) => paths.get(sha), seed: plan.seed },
      ctx,
    );
    ({ result, widened } = out);
    widenExtractSeconds = out.extractSeconds;
    if (!(widened.oodShareAfter >= widened.minOodShare)) addWarning(result.metrics, stillDegenerateWarning(widened));
  }
  if (!result) throw new Error('training produced no result');
  if (carried.kind === 'skip') {
    result.metrics.wideningNotRetried = carried.record;
    const sampling = samplingOf(result.metrics);
    if (sampling.oodShare < sampling.minOodShare) addWarning(result.metrics, carried.warning);
  }
  return { result, widened, widenExtractSeconds };
}

interface Trained {
  plan: TrainPlan;
  extract: ExtractResult;
  input: TrainInput;
  heads: HeadsOutcome;
  /** When heads training started: the run's trainSeconds run until its scores are written. */
  started: number;
}

/** Scores written, the run finished with its metrics and snapshot, and made current. */
function storeRun(project: ProjectHandle, runId: number, trained: Trained, ctx: JobContext): RunSummary {
  const { plan, extract, input, heads } = trained;
  const { result } = heads;
  const rows = toRunResults(result.scores, groupBySha(plan.all), {
    classes: plan.set.classes,
    defaultScorer: result.defaultScorer,
    threshold: result.thresholds[result.defaultScorer],
    layout: extract.layout,
  });
  ctx.progress({ phase: 'saving', done: 0, total: rows.length });
  writeResults(project.db, runId, rows);
  const fineTuned = plan.fineTuned;
  const finished = finishRun(project.db, runId, {
    metrics: runMetrics(trained),
    thresholds: result.thresholds,
    calibratedThresholds: result.calibratedThresholds,
    defaultScorer: result.defaultScorer,
    scorers: result.scorers,
    classes: plan.set.classes,
    lossCurve: fineTuned ? [...endToEndCurve(fineTuned.result.losses), ...result.lossCurve] : result.lossCurve,
    snapshot: {
      images: input.trainCount + input.scoreCount,
      decisions: plan.set.decisions,
      lastEventId: lastEventId(project.db),
      // Which images trained as what: image id → class index, or -1 for explicit OOD.
      labels: Object.fromEntries(plan.set.train.map((t) => [t.image.id, t.label])),
    },
    modelPath: result.modelPath,
  });
  setCurrentRun(project.db, runId);
  return { ...finished, isCurrent: true };
}

/** Classes too small to train on yet, named in the run's metrics and warnings. */
function leftOutClasses(set: TrainingSet, warnings: unknown): Record<string, unknown> {
  if (set.leftOut.length === 0) return {};
  const named = set.leftOut.map((c) => `'${c.class}' (${c.examples})`).join(', ');
  const message = `left out of training, fewer than ${MIN_CLASS_EXAMPLES} distinct images: ${named}`;
  const earlier: unknown[] = Array.isArray(warnings) ? warnings : [];
  return { classesLeftOut: set.leftOut, warnings: [...earlier, message] };
}

function runMetrics({ plan, extract, heads, started }: Trained): Record<string, unknown> {
  const { result, widened, widenExtractSeconds } = heads;
  return {
    ...result.metrics,
    ...leftOutClasses(plan.set, result.metrics.warnings),
    ...(widened ? { widened } : {}),
    timings: {
      ...(result.metrics.timings as Record<string, number> | undefined),
      extractSeconds: extract.seconds,
      ...(widenExtractSeconds !== undefined ? { widenExtractSeconds } : {}),
      trainSeconds: secondsSince(started),
      extractImagesPerSecond: extract.imagesPerSecond,
      ...(plan.fineTuned ? { endToEndSeconds: plan.fineTuned.record.seconds } : {}),
    },
    extractFailures: extract.failed.length,
  };
}

function addWarning(metrics: Record<string, unknown>, warning: string): void {
  metrics.warnings = [...(Array.isArray(metrics.warnings) ? (metrics.warnings as string[]) : []), warning];
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
