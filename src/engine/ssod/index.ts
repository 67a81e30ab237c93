// Public API of the SSOD heads: train on cached features (out-of-fold scores for the training images, an
// all-data model for the rest), score new rows with a saved model, and (de)serialise models.
import { AppError } from '../../shared/errors.js';
import { idAccuracy } from '../metrics/index.js';
import {
  OOD_LABEL,
  type FeatureStore,
  type HeadsConfig,
  type ImageScore,
  type ProgressFn,
  type SavedHeads,
  type TrainHeadsResult,
  type TrainItem,
  type WarmStart,
} from '../types.js';
import { calibrateAll, calibrateThresholds, calibrationSample } from './calibrate.js';
import { resolveConfig } from './config.js';
import { chooseSsodDefault, MIN_REVIEWED_OOD, type DefaultChoice } from './default-choice.js';
import { assignFolds } from './folds.js';
import { fromSavedHeads, toSavedHeads, type HeadsModel } from './model.js';
import { deriveSeed } from './rng.js';
import { cacheRows, releaseRows } from './row-cache.js';
import { SCORERS, scoreRaw, ssodOf, toImageScores, type RawScores } from './score.js';
import { addScatter, l2NormaliseRows, scatterStats, type ScatterStats } from './scorers.js';
import { vimStartBasis } from './vim.js';
import { runModelJobs, headsWorkerCount } from './model-pool.js';
import type { LateInputs, ModelJob, ModelResult } from './build-model.js';
import type { TrainedHeads } from './train.js';
import type { Variant } from './config.js';
import { adoptKnnIndex, sharedKnnBasis } from './knn.js';
import { collectWarm, keyFold, keyedRun, warmFingerprint, warmModelFor, warmStartReason } from './warm-start.js';

export { defaultHeadsConfig, DEFAULT_VARIANT, type Variant } from './config.js';
export { serializeHeads, deserializeHeads } from './model.js';
export { createMemoryStore } from './memory-store.js';
export { calibrateThresholds, isFlagged } from './calibrate.js';
export { SCORERS, SSOD_ESTIMATES } from './score.js';
export { calibratedValue } from './calibrate.js';
export type { DefaultChoice } from './default-choice.js';

export interface TrainHeadsInput {
  features: FeatureStore;
  classes: string[];
  train: TrainItem[];
  scoreRows: number[];
  config: HeadsConfig;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Held-out rows (not in `train`) to choose the default `ssod` estimate on: ID images and named groups of OOD
   * images, scored by the all-data model. Without it, reviewed OOD decides (default-choice.ts). */
  validation?: { id: number[]; ood: Record<string, number[]> };
  /** The previous run's models (its result's `warm`): used when the run matches (warm-start.ts). */
  warmStart?: WarmStart;
}

const isReal = (it: TrainItem): boolean => it.source === undefined;

function validate(input: TrainHeadsInput): void {
  const { classes, train, features } = input;
  if (classes.length < 2) throw new AppError('invalid-argument', 'training needs at least 2 classes');
  const perClass = new Array<number>(classes.length).fill(0);
  for (const it of train) {
    if (!(it.row >= 0 && it.row < features.count) || !Number.isInteger(it.row))
      throw new AppError('invalid-argument', `train row ${it.row} is not a feature row`);
    if (it.source !== undefined && !(Number.isInteger(it.source) && train[it.source] && isReal(train[it.source]!)))
      throw new AppError('invalid-argument', `augmented item's source ${it.source} is not a training image`);
    if (it.label === OOD_LABEL) continue;
    if (!(Number.isInteger(it.label) && it.label >= 0 && it.label < classes.length))
      throw new AppError('invalid-argument', `train label ${it.label} is not a class index`);
    if (isReal(it)) perClass[it.label]!++;
  }
  const min = Math.min(...perClass);
  if (min < 2) throw new AppError('invalid-argument', `every class needs at least 2 training images (found ${min})`);
  for (const r of input.scoreRows)
    if (!(r >= 0 && r < features.count)) throw new AppError('invalid-argument', `score row ${r} is not a feature row`);
}

/** Folds of the real training images; an augmented view takes its source's fold (its source is never scored by
 * a model that trained on a crop of it). */
export function foldsOf(train: readonly TrainItem[], k: number, seed: number): number[] {
  const real = train.map((_, i) => i).filter((i) => isReal(train[i]!));
  // With content keys, an image's fold depends on nothing else in the run (what makes warm starts honest).
  const realFold = keyedRun(train, k)
    ? real.map((i) => keyFold(train[i]!.key!, k, seed))
    : assignFolds(
        real.map((i) => train[i]!),
        k,
        seed,
      );
  const fold = new Array<number>(train.length).fill(0);
  real.forEach((i, j) => (fold[i] = realFold[j]!));
  train.forEach((it, i) => {
    if (it.source !== undefined) fold[i] = fold[it.source]!;
  });
  return fold;
}

/** Per-fold Mahalanobis statistics of the ID training items' pooled features (`pooled`, rows of `idIdx`), about
 * their common mean. */
function scatterByFold(
  input: TrainHeadsInput,
  fold: number[],
  idIdx: readonly number[],
  pooled: Float32Array,
): ScatterStats[] {
  const d = input.features.layout.pooledC;
  const m = input.classes.length;
  const centre = new Float64Array(d);
  for (let i = 0; i < idIdx.length; i++) for (let j = 0; j < d; j++) centre[j]! += pooled[i * d + j]! / idIdx.length;
  const out: ScatterStats[] = [];
  for (let f = 0; f < input.config.folds; f++) {
    const part = idIdx.map((i, k) => [i, k] as const).filter(([i]) => fold[i] === f);
    const x = new Float32Array(part.length * d);
    part.forEach(([, k], r) => x.set(pooled.subarray(k * d, (k + 1) * d), r * d));
    out.push(
      scatterStats(
        x,
        part.map(([i]) => input.train[i]!.label),
        d,
        m,
        centre,
      ),
    );
  }
  return out;
}

/** The KNN basis every model of the run shares (knn.ts), over the ID training images' pooled features; normalises
 * `pooled` in place (its last use). */
function sharedKnn(trainCount: number, idIdx: readonly number[], pooled: Float32Array, d: number): LateInputs['knn'] {
  const basis = sharedKnnBasis(l2NormaliseRows(pooled, d), d);
  if (!basis) return undefined;
  const rowOf = new Int32Array(trainCount).fill(-1);
  idIdx.forEach((i, r) => (rowOf[i] = r));
  return { basis, rowOf };
}

export async function trainHeads(given: TrainHeadsInput): Promise<TrainHeadsResult> {
  validate(given);
  const tStart = Date.now();
  // K+1 models read the training rows ~10 times each: read them once.
  const features = await cacheRows(
    given.features,
    given.train.map((it) => it.row),
  );
  try {
    return await trainOnRows({ ...given, features }, tStart);
  } finally {
    releaseRows(features);
  }
}

/** The run's models: one per fold (trained on the other folds, scoring its own), then the all-data model. */
function modelJobs(input: TrainHeadsInput, variant: Variant, fold: number[], fingerprint: string): ModelJob[] {
  const { config, train } = input;
  const allFolds = Array.from({ length: config.folds }, (_, g) => g);
  const keyed = keyedRun(train, config.folds);
  const offered = keyed && variant.warmEpochs > 0 ? input.warmStart : undefined;
  // All models start warm or none does: a run half from scratch would be no clean base for the next.
  const indices = Array.from({ length: config.folds + 1 }, (_, i) => i);
  const warm = indices.every((i) => warmModelFor(offered, fingerprint, i)) ? offered : undefined;
  const start = (index: number): Pick<ModelJob, 'start'> => {
    const m = warmModelFor(warm, fingerprint, index);
    return m ? { start: m } : {};
  };
  // Folds first, then the all-data model: each seeded by its index, so any execution order gives the same models.
  const jobs: ModelJob[] = [];
  for (let f = 0; f < config.folds; f++) {
    const inFold = train.map((_, i) => i).filter((i) => fold[i] === f && isReal(train[i]!));
    if (inFold.length === 0) continue;
    jobs.push({
      index: f + 1,
      itemIdx: train.map((_, i) => i).filter((i) => fold[i] !== f),
      scoreIdx: inFold,
      variant,
      seed: deriveSeed(config.seed, f + 1),
      phase: `fold ${f + 1}/${config.folds}`,
      scatterFolds: allFolds.filter((g) => g !== f),
      keyed,
      ...start(f + 1),
    });
  }
  jobs.push({
    index: 0,
    itemIdx: train.map((_, i) => i),
    scoreIdx: [],
    variant,
    seed: deriveSeed(config.seed, 0),
    phase: 'all data',
    scatterFolds: allFolds,
    keyed,
    ...start(0),
  });
  return jobs;
}

/** What the models need only after training, computed on this thread while they train (model-pool.ts). */
function lateInputs(input: TrainHeadsInput, fold: number[], idIdx: number[]): () => Promise<LateInputs> {
  const { train } = input;
  return async () => {
    const idPooled = await input.features.pooled(idIdx.map((i) => train[i]!.row));
    const foldScatter = scatterByFold(input, fold, idIdx, idPooled);
    // A fold model holds every ID image but its fold's: the smallest holds all but the largest fold.
    const largestFold = Math.max(...foldScatter.map((s) => s.counts.reduce((a, c) => a + c, 0)));
    const vimStart = vimStartBasis(addScatter(foldScatter), idIdx.length - largestFold);
    return { foldScatter, vimStart, knn: sharedKnn(train.length, idIdx, idPooled, input.features.layout.pooledC) };
  };
}

/** Out-of-fold results of every training item, in the order of `train`. */
interface OutOfFold {
  parts: (RawScores & { idx: number[] })[];
  scores: Record<string, Float32Array>;
  predicted: Int32Array;
  top: [number, number][][];
  heat: Float32Array;
}

function gatherOutOfFold(jobs: ModelJob[], results: ModelResult[], n: number, P: number): OutOfFold {
  const parts = jobs.flatMap((job, k) => (job.index === 0 ? [] : [{ ...results[k]!.raw!, idx: job.scoreIdx }]));
  const scores: Record<string, Float32Array> = Object.fromEntries(SCORERS.map((s) => [s, new Float32Array(n)]));
  const predicted = new Int32Array(n);
  const top: [number, number][][] = new Array<[number, number][]>(n);
  const heat = new Float32Array(n * P);
  for (const o of parts)
    o.idx.forEach((i, j) => {
      for (const s of SCORERS) scores[s]![i] = o.scores[s]![j]!;
      predicted[i] = o.predicted[j]!;
      top[i] = o.top[j]!;
      heat.set(o.heatmaps.subarray(j * P, (j + 1) * P), i * P);
    });
  return { parts, scores, predicted, top, heat };
}

/** Where the models' time went, summed over models (CPU-side wall time per phase; threads overlap). */
function summedPhases(results: ModelResult[]): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.phaseMs)) phases[k] = (phases[k] ?? 0) + v;
  return Object.fromEntries(
    Object.entries(phases)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round(v)]),
  );
}

/** Each real training image's out-of-fold scores, calibrated against the held-out ID sample. */
function trainImageScores(
  train: TrainItem[],
  realIdx: number[],
  oof: OutOfFold,
  calibration: Record<string, Float32Array>,
  P: number,
): ImageScore[] {
  return realIdx.map((i) => {
    const scores: Record<string, number> = {};
    for (const s of SCORERS) scores[s] = oof.scores[s]![i]!;
    return {
      row: train[i]!.row,
      predicted: oof.predicted[i]!,
      top: oof.top[i] ?? [],
      scores,
      calibrated: calibrateAll(calibration, scores),
      heatmap: Array.from(oof.heat.subarray(i * P, (i + 1) * P)),
    };
  });
}

/** The run's metrics from its models, the default choice and the timings. */
function runMetrics(
  parts: { results: ModelResult[]; threads: number; perModel: Record<string, unknown>[]; trained: TrainedHeads },
  choice: DefaultChoice,
  model: HeadsModel,
  variant: Variant,
): Record<string, unknown> {
  const { perModel, trained } = parts;
  return {
    ssodDefault: choice,
    ssodChoice: choice.message,
    ...(choice.basis === 'reviewed-ood' ? { reviewedOodAuroc: choice.auroc } : {}),
    posthocBeatsSsod: choice.posthocBeatsSsod ? choice.bestPosthoc : null,
    modelThreads: parts.threads,
    phaseMs: summedPhases(parts.results),
    ssodVariant: { ...variant, ssodScore: model.ssodScore },
    models: perModel,
    warnings: [
      ...new Set(perModel.flatMap((d) => (d.warnings as string[]) ?? [])),
      ...(choice.posthocBeatsSsod ? [choice.message] : []),
    ],
    samplingShare: { id: trained.diagnostics.idShare, ood: trained.diagnostics.oodShare },
    backgroundSpread: trained.diagnostics.backgroundSpread,
  };
}

async function trainOnRows(input: TrainHeadsInput, tStart: number): Promise<TrainHeadsResult> {
  const variant = resolveConfig(input.config);
  const { config, train } = input;
  const t0 = Date.now();
  const P = input.features.layout.mapH * input.features.layout.mapW;
  const fold = foldsOf(train, config.folds, config.seed);
  const idIdx = train.map((_, i) => i).filter((i) => train[i]!.label !== OOD_LABEL && isReal(train[i]!));
  const fingerprint = warmFingerprint(input.classes, input.features.layout, config, variant);
  const jobs = modelJobs(input, variant, fold, fingerprint);
  const workers = headsWorkerCount(train.length, jobs.length);
  const { results, threads, late } = await runModelJobs(input, jobs, workers, lateInputs(input, fold, idIdx));
  const oof = gatherOutOfFold(jobs, results, train.length, P);
  const perModel = jobs.flatMap((job, k) =>
    job.index === 0 ? [] : [{ model: `fold ${job.index}`, ...results[k]!.trained.diagnostics }],
  );
  const tFolds = Date.now();
  const { model, trained } = results[jobs.length - 1]!;
  if (!model) throw new Error('the all-data model is missing from the results');
  // The model came back from a worker as a copy: its KNN refs are every ID image in order, the shared basis's rows.
  if (late.knn) adoptKnnIndex(model.knnRefs, late.knn.basis);
  perModel.push({ model: 'all data', ...trained.diagnostics });
  const oodIdx = train.map((_, i) => i).filter((i) => train[i]!.label === OOD_LABEL && isReal(train[i]!));
  const realIdx = train.map((_, i) => i).filter((i) => isReal(train[i]!));
  const choice = await decideDefault(input, model, oof.parts, oof.scores, idIdx, oodIdx);
  const metrics = runMetrics({ results, threads, perModel, trained }, choice, model, variant);
  const keyed = keyedRun(train, config.folds);
  metrics.warmStart = {
    used: jobs.filter((j) => j.start).length,
    of: jobs.length,
    reason:
      variant.warmEpochs > 0
        ? warmStartReason(input.warmStart, fingerprint, keyed)
        : 'cold: warm starts are off (variant.warmEpochs 0)',
  };
  const heldOut: Record<string, number[]> = {};
  for (const s of SCORERS) heldOut[s] = idIdx.map((i) => oof.scores[s]![i]!);
  const thresholds = calibrateThresholds(heldOut, config.idPassRate);
  // Every training ID image's score is out of fold, so the sample is held out for each image it contains.
  model.calibration = Object.fromEntries(Object.entries(heldOut).map(([k, a]) => [k, calibrationSample(a)]));
  const trainScores = trainImageScores(train, realIdx, oof, model.calibration, P);
  const raw = await scoreRaw(model, input.features, input.scoreRows, 256, input.signal);
  const tEnd = Date.now();
  metrics.oofIdAccuracy = idAccuracy(
    idIdx.map((i) => oof.predicted[i]!),
    idIdx.map((i) => train[i]!.label),
  );
  // cacheMs = reading the training rows into memory; foldsMs = every model (folds and all-data, side by side);
  // allDataMs = calibration and scoring the inbox with the all-data model.
  metrics.timings = { cacheMs: t0 - tStart, foldsMs: tFolds - t0, allDataMs: tEnd - tFolds, totalMs: tEnd - tStart };
  metrics.counts = {
    train: realIdx.length,
    augmented: train.length - realIdx.length,
    reviewedOod: oodIdx.length,
    scored: input.scoreRows.length,
  };
  return {
    scores: [...trainScores, ...toImageScores(input.scoreRows, raw, P, model.calibration)],
    thresholds,
    calibratedThresholds: calibrateAll(model.calibration, thresholds),
    defaultScorer: 'ssod',
    scorers: [...SCORERS],
    metrics,
    lossCurve: trained.lossCurve,
    model: toSavedHeads(model),
    // A warm run hands its own start on: every retrain of the chain starts from the same base.
    ...(keyed
      ? {
          warm:
            jobs.every((j) => j.start) && input.warmStart
              ? input.warmStart
              : collectWarm(
                  fingerprint,
                  jobs,
                  results.map((r) => r.trained),
                ),
        }
      : {}),
  };
}

/** Scores rows with a saved model (e.g. new images after a rescan). */
export async function scoreWithHeads(
  saved: SavedHeads,
  features: FeatureStore,
  rows: number[],
  opts: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<ImageScore[]> {
  const model = fromSavedHeads(saved);
  const raw = await scoreRaw(model, features, rows, opts.batchSize ?? 256, opts.signal);
  return toImageScores(rows, raw, model.layout.mapH * model.layout.mapW, model.calibration);
}

/** Picks the estimate `ssod` reports (default-choice.ts) on the run's validation rows or its reviewed OOD, and
 * re-derives the out-of-fold `ssod` scores when the choice changed. */
async function decideDefault(
  input: TrainHeadsInput,
  model: HeadsModel,
  oof: (RawScores & { idx: number[] })[],
  oofScores: Record<string, Float32Array>,
  idIdx: number[],
  oodIdx: number[],
): Promise<DefaultChoice> {
  let choice: DefaultChoice;
  if (input.validation && input.validation.id.length > 0) {
    const v = input.validation;
    const groups = Object.entries(v.ood).filter(([, r]) => r.length > 0);
    const rows = [...v.id, ...groups.flatMap(([, r]) => r)];
    const raw = await scoreRaw(model, input.features, rows, 256, input.signal);
    const cut = (from: number, to: number): Record<string, Float32Array> =>
      Object.fromEntries(Object.entries(raw.scores).map(([k, a]) => [k, a.subarray(from, to)]));
    let at = v.id.length;
    const oodBy: Record<string, Record<string, Float32Array>> = {};
    for (const [g, r] of groups) oodBy[g] = cut(at, (at += r.length));
    choice = chooseSsodDefault(cut(0, v.id.length), oodBy, model.ssodScore, 'validation');
  } else if (oodIdx.length >= MIN_REVIEWED_OOD) {
    const pick = (ix: number[]): Record<string, number[]> =>
      Object.fromEntries(Object.entries(oofScores).map(([k, a]) => [k, ix.map((i) => a[i]!)]));
    choice = chooseSsodDefault(pick(idIdx), { reviewed: pick(oodIdx) }, model.ssodScore, 'reviewed-ood');
  } else choice = chooseSsodDefault({}, {}, model.ssodScore, 'reviewed-ood');
  if (choice.chosen !== model.ssodScore) {
    model.ssodScore = choice.chosen;
    for (const o of oof) o.scores.ssod = ssodOf(model, o.scores);
    oof.forEach((o) => o.idx.forEach((i, j) => (oofScores.ssod![i] = o.scores.ssod![j]!)));
  }
  return choice;
}
