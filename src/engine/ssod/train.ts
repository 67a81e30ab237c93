// Trains one set of heads on a subset of the training items: CLS warm-up, then SSOD sampling with the balanced
// loss, Adam, early stopping on a held-out ID split. Batches: batch.ts; sampling and the step's tensors: step.ts.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import {
  OOD_LABEL,
  type FeatureStore,
  type HeadsConfig,
  type LossRecord,
  type ProgressFn,
  type TrainItem,
  type WarmModel,
} from '../types.js';
import { effectiveBatchSize, type Variant } from './config.js';
import {
  channelStats,
  headShapes,
  initHeadArrays,
  prepareRows,
  readVariables,
  toVariables,
  type HeadShapes,
  type HeadVars,
  type InputStats,
} from './heads.js';
import { loadBatch, Scratch, type Batch } from './batch.js';
import { disposeStep, prepareStep, stepLoss, type StepContext } from './step.js';
import { createRng, shuffleInPlace } from './rng.js';
import { lap, now } from './profile.js';
import { PositionSample, spreadRatio } from './background-spread.js';
import { meanPositions } from './row-cache.js';
import { JsAdam } from './adam.js';

export interface TrainedHeads {
  shapes: HeadShapes;
  arrays: Record<string, Float32Array>;
  mapStats: InputStats;
  pooledStats: InputStats;
  lossCurve: LossRecord[];
  diagnostics: {
    epochs: number;
    bestEpoch: number;
    idShare: number;
    oodShare: number;
    gammaUsed: number;
    batchSize: number;
    /** Spread of the sampled background positions over the ID positions' (last SSOD epoch); null = too few. */
    backgroundSpread: number | null;
    warnings: string[];
  };
}

export interface TrainOneInput {
  store: FeatureStore;
  items: readonly TrainItem[];
  fit: number[];
  val: number[];
  classes: number;
  config: HeadsConfig;
  variant: Variant;
  seed: number;
  phase: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** The previous run's same model (warm-start.ts): its weights and input statistics are the start, and it
   * trains variant.warmEpochs SSOD epochs (no CLS warm-up) with early stopping instead of the full schedule. */
  start?: WarmModel;
}

/** Epochs in all and CLS warm-up epochs of this model: the full schedule, or a warm start's short one. */
function schedule(input: TrainOneInput): { epochs: number; warmup: number; patience: number } {
  const v = input.variant;
  if (input.start) return { epochs: Math.max(1, v.warmEpochs), warmup: 0, patience: v.warmPatience };
  return { epochs: input.config.epochs, warmup: input.config.warmupEpochs, patience: v.patience };
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AppError('cancelled', 'training was cancelled');
}

/** Channel statistics from a sample of positions and pooled rows (at most 256 images), for standardisation. */
async function inputStats(store: FeatureStore, rows: number[]): Promise<{ map: InputStats; pooled: InputStats }> {
  const sample = rows.slice(0, 256);
  const { mapC, pooledC } = store.layout;
  return {
    map: channelStats(await store.maps(sample), mapC),
    pooled: channelStats(await store.pooled(sample), pooledC),
  };
}

/** Mean of the prepared positions of each row, [rows.length, c]: computed once per model, not once per epoch. */
async function pooledPrepared(
  store: FeatureStore,
  rows: readonly number[],
  stats: InputStats,
  v: Variant,
): Promise<Float32Array> {
  const { mapH, mapW, mapC: c } = store.layout;
  const P = mapH * mapW;
  const out = new Float32Array(rows.length * c);
  for (let s = 0; s < rows.length; s += 512) {
    const chunk = rows.slice(s, s + 512);
    out.set(meanPositions(prepareRows(await store.maps(chunk), c, stats, v), chunk.length, P, c), s * c);
  }
  return out;
}

/** What one trainer's epochs share and update. */
interface EpochState {
  input: TrainOneInput;
  ctx: StepContext;
  vars: HeadVars;
  optimizer: JsAdam;
  read: (chunk: readonly number[], sample: boolean) => Promise<Batch>;
  batchSize: number;
  gamma: number;
  share: { id: number; ood: number };
  positions?: { id: PositionSample; background: PositionSample };
  warnings: string[];
}

/** One pass over the fit items: mean training loss, and (SSOD epochs) the sampled shares; lowers gamma when the
 * background is degenerate. */
async function trainEpoch(st: EpochState, epoch: number, sample: boolean): Promise<number> {
  const { input, ctx, optimizer } = st;
  const order = shuffleInPlace([...input.fit], ctx.rng);
  let total = 0;
  let batches = 0;
  let idSum = 0;
  let oodSum = 0;
  let posSum = 0;
  // The last SSOD epoch's sampled positions are what the diagnosis judges.
  if (sample) st.positions = { id: new PositionSample(ctx.c), background: new PositionSample(ctx.c) };
  for (let s = 0; s < order.length; s += st.batchSize) {
    throwIfCancelled(input.signal);
    let t = now();
    const b = await st.read(order.slice(s, s + st.batchSize), sample);
    t = lap('train: load batch', t);
    const prep = prepareStep(ctx, b, st.gamma, sample, st.positions);
    t = lap('train: sampling', t);
    if (prep.stats) {
      idSum += prep.stats.idShare * prep.stats.positions;
      oodSum += prep.stats.oodShare * prep.stats.positions;
      posSum += prep.stats.positions;
    }
    const loss = optimizer.minimize(() => stepLoss(ctx, prep));
    total += loss.dataSync()[0] ?? 0;
    batches++;
    loss.dispose();
    disposeStep(prep);
    lap('train: gradient step', t);
  }
  if (sample && posSum > 0) {
    st.share = { id: idSum / posSum, ood: oodSum / posSum };
    lowerGammaIfStarved(st, epoch);
  }
  return total / Math.max(1, batches);
}

/** A degenerate background (almost no position below 1 - gamma) starves the OOD head: widen sampling. */
function lowerGammaIfStarved(st: EpochState, epoch: number): void {
  const { share, gamma } = st;
  if (!(share.ood < st.ctx.variant.minOodShare && gamma > 0.7)) return;
  const next = Math.max(0.7, Math.round((gamma - 0.1) * 100) / 100);
  st.warnings.push(
    `epoch ${epoch + 1}: only ${(share.ood * 100).toFixed(1)}% of positions sampled as background at gamma ${gamma}; lowering gamma to ${next}`,
  );
  st.gamma = next;
}

/** Warnings about the sampled backgrounds after training, and their spread (undefined: too few positions). */
function backgroundWarnings(st: EpochState): number | undefined {
  const v = st.ctx.variant;
  if (st.share.ood < v.minOodShare)
    st.warnings.push(
      `few background positions (${(st.share.ood * 100).toFixed(1)}%): SSOD's OOD head had little to learn from`,
    );
  const spread = st.positions ? spreadRatio(st.positions.id, st.positions.background) : undefined;
  if (spread !== undefined && spread < v.minBackgroundSpread)
    st.warnings.push(
      `background positions are all alike (spread ${spread.toFixed(3)} of the objects'): SSOD's OOD head ` +
        `learns that one background, not "not in-distribution"; its own score is not to be trusted on this data`,
    );
  return spread;
}

/** The trainer's state before its first epoch: variables, optimizer, standardisation and batch reader. */
async function setUp(
  input: TrainOneInput,
): Promise<{ st: EpochState; stats: { map: InputStats; pooled: InputStats } }> {
  const { store, items, config, variant: v, classes: m } = input;
  const { mapH, mapW, mapC, pooledC } = store.layout;
  const P = mapH * mapW;
  const rng = createRng(input.seed);
  const shapes = headShapes(mapC, m, v);
  const fitRows = input.fit.map((i) => items[i]!.row);
  // A warm start keeps its model's standardisation: its weights were learned on inputs scaled that way.
  const stats = input.start
    ? { map: input.start.mapStats, pooled: input.start.pooledStats }
    : await inputStats(
        store,
        fitRows.filter((_, k) => items[input.fit[k]!]!.label !== OOD_LABEL),
      );
  const vars = toVariables(input.start?.arrays ?? initHeadArrays(shapes, v, rng, pooledC), shapes, pooledC);
  const t0 = now();
  const itemRows = items.map((it) => it.row);
  // Without input normalisation the prepared positions are the raw ones: their mean is the store's map mean.
  const xbarAll =
    !v.inputNorm && store.mapMeans
      ? await store.mapMeans(itemRows)
      : await pooledPrepared(store, itemRows, stats.map, v);
  lap('train: pooled positions', t0);
  const scratch = new Scratch();
  const pooledNorm = {
    mean: tf.tensor1d(stats.pooled.mean),
    invStd: tf.tensor1d(stats.pooled.std.map((s) => 1 / s)),
  };
  const ctx: StepContext = { vars, m, P, c: mapC, pooledC, alpha: config.alpha, variant: v, rng, scratch, pooledNorm };
  const st: EpochState = {
    input,
    ctx,
    vars,
    optimizer: new JsAdam(vars, config.learningRate),
    read: (chunk, sample) => loadBatch(store, items, chunk, xbarAll, stats.map, v, sample, scratch),
    batchSize: effectiveBatchSize(config.batchSize, input.fit.length, v, P * mapC * 4),
    gamma: config.gamma,
    share: { id: 0, ood: 0 },
    warnings: [],
  };
  return { st, stats };
}

export async function trainOne(input: TrainOneInput): Promise<TrainedHeads> {
  const { variant: v } = input;
  const { st, stats } = await setUp(input);
  const { ctx, vars } = st;
  const lossCurve: LossRecord[] = [];
  let best = { loss: Infinity, epoch: -1, arrays: readVariables(vars) };
  let epoch = 0;
  const { epochs, warmup, patience } = schedule(input);
  try {
    for (; epoch < epochs; epoch++) {
      const sample = epoch >= warmup;
      const loss = await trainEpoch(st, epoch, sample);
      const tv = now();
      // Validation samples with a fixed seed of its own, the same every epoch (the training rng is left alone).
      const valCtx = { ...ctx, rng: createRng(input.seed ^ 0x51ed) };
      const valLoss = sample && input.val.length ? await evalLoss(input, valCtx, st.read, st.gamma) : undefined;
      const t0 = lap('train: validation loss', tv);
      lossCurve.push({ epoch: epoch + 1, phase: sample ? 'ssod' : 'warmup', loss, valLoss });
      input.onProgress?.({ phase: input.phase, done: epoch + 1, total: epochs, loss });
      if (sample) {
        const l = valLoss ?? loss;
        if (l < best.loss - 1e-6) best = { loss: l, epoch, arrays: readVariables(vars) };
        else if (epoch - best.epoch >= patience) {
          epoch++;
          break;
        }
      } else best = { loss: Infinity, epoch, arrays: readVariables(vars) };
      lap('train: epoch bookkeeping', t0);
    }
  } finally {
    tf.dispose([...Object.values(vars), ctx.pooledNorm.mean, ctx.pooledNorm.invStd]);
  }
  const backgroundSpread = backgroundWarnings(st);
  return {
    shapes: headShapes(ctx.c, ctx.m, v),
    arrays: best.arrays,
    mapStats: stats.map,
    pooledStats: stats.pooled,
    lossCurve,
    diagnostics: {
      epochs: epoch,
      bestEpoch: best.epoch + 1,
      idShare: st.share.id,
      oodShare: st.share.ood,
      gammaUsed: st.gamma,
      batchSize: st.batchSize,
      backgroundSpread: backgroundSpread ?? null,
      warnings: st.warnings,
    },
  };
}

/** Mean loss over the validation items. */
async function evalLoss(
  input: TrainOneInput,
  ctx: StepContext,
  read: (chunk: readonly number[], sample: boolean) => Promise<Batch>,
  gamma: number,
): Promise<number> {
  let total = 0;
  let n = 0;
  for (let s = 0; s < input.val.length; s += input.config.batchSize) {
    const chunk = input.val.slice(s, s + input.config.batchSize);
    const prep = prepareStep(ctx, await read(chunk, true), gamma, true);
    const l = tf.tidy(() => stepLoss(ctx, prep));
    total += (l.dataSync()[0] ?? 0) * chunk.length;
    n += chunk.length;
    l.dispose();
    disposeStep(prep);
  }
  return total / Math.max(1, n);
}
