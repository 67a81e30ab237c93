// One model of a training run (a fold's or the all-data one): train the heads, fit every scorer's statistics and
// score its held-out rows. A job depends only on its own index and seed, never on which ran before it, so the
// models can train one after the other or side by side in worker threads with identical results.
import {
  OOD_LABEL,
  type FeatureStore,
  type HeadsConfig,
  type ProgressFn,
  type TrainItem,
  type WarmModel,
} from '../types.js';
import type { Variant } from './config.js';
import { stratifiedSplit } from './folds.js';
import type { HeadsModel } from './model.js';
import { lap, now, phaseMs } from './profile.js';
import { forwardRows, fusionInputScores, scoreRaw, type RawScores } from './score.js';
import {
  addScatter,
  fitGaussian,
  gaussianFromScatter,
  l2NormaliseRows,
  robustScale,
  type ScatterStats,
} from './scorers.js';
import { trainOne, type TrainedHeads } from './train.js';
import { adoptKnnIndex, type SharedKnnBasis } from './knn.js';
import { fitPosthoc } from './posthoc-model.js';
import { inValSplit } from './warm-start.js';

/** What every model of a run shares. */
export interface ModelContext {
  features: FeatureStore;
  classes: string[];
  train: TrainItem[];
  config: HeadsConfig;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** What a model needs only once it has trained: the run's main thread computes it while the models train. */
  late: Promise<LateInputs>;
}

/** Statistics a model needs only after training (its Gaussians and KNN index), computed once per run. */
export interface LateInputs {
  /** Mahalanobis statistics of each fold's ID training images; a model sums those of the folds it trains on. */
  foldScatter: ScatterStats[];
  /** The run's shared KNN basis over its ID training images; rowOf[i] = the basis row of train[i] (or -1). */
  knn?: { basis: SharedKnnBasis; rowOf: Int32Array };
  /** ViM's starting basis from every ID training image (vim.ts vimStartBasis). */
  vimStart?: Float32Array;
}

export interface ModelJob {
  /** 0 = the all-data model, f + 1 = fold f's model. */
  index: number;
  /** Indices into `train` the model trains on. */
  itemIdx: number[];
  /** Indices into `train` scored out of fold with this model (empty for the all-data model). */
  scoreIdx: number[];
  variant: Variant;
  seed: number;
  phase: string;
  /** The folds whose ID images this model trains on (LateInputs.foldScatter). */
  scatterFolds: number[];
  /** Every real item has a content key: the early-stopping split follows from the keys (warm-start.ts). */
  keyed: boolean;
  /** The previous run's same model to start from (warm-start.ts). */
  start?: WarmModel;
}

export interface ModelResult {
  index: number;
  /** The all-data model only: a fold's model has done its work once its held-out rows are scored, and its KNN
   * references alone are tens of MB to send back and hold. */
  model?: HeadsModel;
  trained: TrainedHeads;
  /** Scores of `scoreIdx`, or undefined when it is empty. */
  raw?: RawScores;
  /** Wall-clock milliseconds per phase while this model was built (see profile.ts). */
  phaseMs: Record<string, number>;
}

export async function runModelJob(ctx: ModelContext, job: ModelJob): Promise<ModelResult> {
  const before = { ...phaseMs };
  const { model, trained } = await buildModel(ctx, job);
  const raw =
    job.scoreIdx.length > 0
      ? await scoreRaw(
          model,
          ctx.features,
          job.scoreIdx.map((i) => ctx.train[i]!.row),
          256,
          ctx.signal,
        )
      : undefined;
  const spent: Record<string, number> = {};
  for (const [k, v] of Object.entries(phaseMs)) if (v > (before[k] ?? 0)) spent[k] = v - (before[k] ?? 0);
  return { index: job.index, model: job.index === 0 ? model : undefined, trained, raw, phaseMs: spent };
}

/** Pooled neck features and pooled backbone features of the ID rows, for the Gaussians and the KNN refs. Without a
 * neck or input normalisation the pooled neck feature is the map's mean over positions, which a memory-backed store
 * already holds: no map is read again. */
async function fitFeatures(
  base: Parameters<typeof forwardRows>[0],
  store: FeatureStore,
  rows: number[],
  signal?: AbortSignal,
): Promise<{ gbar: Float32Array; pooled: Float32Array }> {
  if (base.variant.neck <= 0 && !base.variant.inputNorm && store.mapMeans)
    return { gbar: await store.mapMeans(rows), pooled: await store.pooled(rows) };
  const f = await forwardRows(base, store, rows, 256, signal);
  return { gbar: f.gbar, pooled: f.pooled };
}

/** The model's items split for training: `fit` trains, `val` (held-out ID) stops early and scales fusions;
 * `realK` are the real (not augmented) items. Indices into `sub`. */
function splitItems(
  sub: readonly TrainItem[],
  valFraction: number,
  seed: number,
  keyedAs?: { modelIndex: number; runSeed: number },
): { realK: number[]; fit: number[]; val: number[] } {
  // Augmented views always train and are never held out; the split is of the real images only.
  const realK = sub.map((_, k) => k).filter((k) => sub[k]!.source === undefined);
  const augK = sub.map((_, k) => k).filter((k) => sub[k]!.source !== undefined);
  const held = keyedAs
    ? realK.filter((k) => inValSplit(sub[k]!.key!, keyedAs.modelIndex, keyedAs.runSeed, valFraction))
    : heldByStratifiedSplit(sub, realK, valFraction, seed);
  const heldSet = new Set(held);
  const fitReal = realK.filter((k) => !heldSet.has(k));
  // Reviewed-OOD items always train: early stopping and scales are about held-out ID.
  const val = held.filter((k) => sub[k]!.label !== OOD_LABEL);
  const fit = [...fitReal, ...held.filter((k) => sub[k]!.label === OOD_LABEL), ...augK].sort((a, b) => a - b);
  return { realK, fit, val };
}

/** A seeded stratified hold-out of the real items (`realK`, indices into `sub`), for runs without content keys. */
function heldByStratifiedSplit(
  sub: readonly TrainItem[],
  realK: readonly number[],
  valFraction: number,
  seed: number,
): number[] {
  const split = stratifiedSplit(
    realK.map((k) => sub[k]!),
    valFraction,
    seed,
  );
  return split.held.map((j) => realK[j]!);
}

type ModelBase = Omit<HeadsModel, 'density' | 'mahalanobis' | 'knnRefs' | 'scales' | 'ssodScore' | 'posthoc'>;

/** Every scorer's statistics on the model's ID items (`idK`, indices into `sub`): Gaussians, KNN refs (indexed
 * through the run's shared basis) and the post-hoc rivals. */
async function fitScorers(
  input: ModelContext,
  job: ModelJob,
  base: ModelBase,
  trained: TrainedHeads,
  idK: number[],
): Promise<{ model: HeadsModel; idRows: number[] }> {
  const sub = job.itemIdx.map((i) => input.train[i]!);
  const idRows = idK.map((k) => sub[k]!.row);
  let t = now();
  const feats = await fitFeatures(base, input.features, idRows, input.signal);
  t = lap('model: forward train rows', t);
  const labels = idK.map((k) => sub[k]!.label);
  const m = input.classes.length;
  const { variant } = job;
  const late = await input.late;
  t = lap('model: wait for shared stats', t);
  // Mahalanobis statistics of exactly this model's ID items, summed from per-fold parts.
  const pooledScatter = addScatter(job.scatterFolds.map((f) => late.foldScatter[f]!));
  const density = fitGaussian(feats.gbar, labels, trained.shapes.d, m, variant.shrinkage);
  t = lap('fit: density', t);
  const mahalanobis = gaussianFromScatter(pooledScatter, variant.shrinkage);
  t = lap('fit: mahalanobis', t);
  const model: HeadsModel = {
    ...base,
    density,
    mahalanobis,
    knnRefs: l2NormaliseRows(Float32Array.from(feats.pooled), input.features.layout.pooledC),
    scales: {},
    ssodScore: variant.ssodScore,
  };
  const knn = late.knn;
  if (knn)
    adoptKnnIndex(
      model.knnRefs,
      knn.basis,
      Int32Array.from(idK, (k) => knn.rowOf[job.itemIdx[k]!]!),
    );
  t = lap('fit: knn refs', t);
  model.posthoc = fitPosthoc({
    arrays: trained.arrays,
    pooledStats: trained.pooledStats,
    classes: m,
    pooledC: input.features.layout.pooledC,
    scatter: pooledScatter,
    pooled: feats.pooled,
    gbar: feats.gbar,
    mapD: trained.shapes.d,
    shrinkage: variant.shrinkage,
    vimStart: late.vimStart,
  });
  lap('model: fit post-hoc rivals', t);
  return { model, idRows };
}

/** Fusion scales from held-out ID (the validation split; training rows would look too in-distribution), or from
 * the training ID rows when fewer than 5 are held out. */
async function setFusionScales(
  input: ModelContext,
  model: HeadsModel,
  sub: readonly TrainItem[],
  idK: number[],
  idRows: number[],
  val: number[],
): Promise<void> {
  const t = now();
  const valSet = new Set(val);
  const scaleRows = idK.filter((k) => valSet.has(k)).map((k) => sub[k]!.row);
  // Only the scores a fusion combines need scales (KNN on the validation rows would cost a product for nothing).
  const rows = scaleRows.length >= 5 ? scaleRows : idRows;
  const scaleFwd = await forwardRows(model, input.features, rows, 256, input.signal);
  for (const [name, a] of Object.entries(fusionInputScores(model, scaleFwd))) model.scales[name] = robustScale(a);
  lap('model: score validation for scales', t);
}

/** Trains heads on the given items and fits every scorer's statistics on their ID images. */
async function buildModel(input: ModelContext, job: ModelJob): Promise<{ model: HeadsModel; trained: TrainedHeads }> {
  const { itemIdx, variant, seed, phase } = job;
  const sub = itemIdx.map((i) => input.train[i]!);
  const keyedAs = job.keyed ? { modelIndex: job.index, runSeed: input.config.seed } : undefined;
  const { realK, fit, val } = splitItems(sub, input.config.valFraction, seed, keyedAs);
  const t = now();
  const trained = await trainOne({
    store: input.features,
    items: sub,
    fit,
    val,
    classes: input.classes.length,
    config: input.config,
    variant,
    seed,
    phase,
    onProgress: input.onProgress,
    signal: input.signal,
    ...(job.start ? { start: job.start } : {}),
  });
  lap('model: train heads', t);
  const base: ModelBase = {
    classes: input.classes,
    layout: input.features.layout,
    config: input.config,
    variant,
    shapes: trained.shapes,
    arrays: trained.arrays,
    mapStats: trained.mapStats,
    pooledStats: trained.pooledStats,
  };
  const idK = realK.filter((k) => sub[k]!.label !== OOD_LABEL);
  const { model, idRows } = await fitScorers(input, job, base, trained, idK);
  await setFusionScales(input, model, sub, idK, idRows, val);
  return { model, trained };
}
