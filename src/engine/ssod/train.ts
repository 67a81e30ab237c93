// Trains one set of heads on a subset of the training items: CLS warm-up, then SSOD sampling with the balanced
// loss, Adam, early stopping on a held-out ID split. Batches are cut from typed arrays read through the
// FeatureStore (never tensor.slice on a big tensor: on wasm that copies the whole source every call).
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import {
  OOD_LABEL,
  type FeatureStore,
  type HeadsConfig,
  type LossRecord,
  type ProgressFn,
  type TrainItem,
} from '../types.js';
import { effectiveBatchSize, type Variant } from './config.js';
import {
  baseLogits,
  channelStats,
  clsLogits,
  headShapes,
  initHeadArrays,
  neck,
  oodLogits,
  prepareRows,
  readVariables,
  toVariables,
  type HeadShapes,
  type InputStats,
} from './heads.js';
import { ssodLoss } from './loss.js';
import { ownClassConfidence, sampleMasks, samplingStats, selectPositions } from './sampling.js';
import { createRng, shuffleInPlace } from './rng.js';
import { lap, now } from './profile.js';
import { PositionSample, spreadRatio } from './background-spread.js';
import { meanPositions } from './row-cache.js';

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

/** One batch as plain arrays: tensors are made only of what the step uses (no gather on the backend: on wasm
 * every op has a fixed cost and gather has no gradient). */
interface Batch {
  /** Prepared positions [B*P, c]. */
  x: Float32Array;
  /** Pooled (mean of prepared positions) [B, c]. */
  xbar: Float32Array;
  pooled: Float32Array;
  labels: number[];
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

/** A batch of items (indices into `items`); `xbarAll` holds every item's pooled prepared positions. */
async function loadBatch(
  store: FeatureStore,
  items: readonly TrainItem[],
  chunk: readonly number[],
  xbarAll: Float32Array,
  stats: InputStats,
  pooledStats: InputStats,
  v: Variant,
  sample: boolean,
): Promise<Batch> {
  const c = store.layout.mapC;
  const rows = chunk.map((i) => items[i]!.row);
  const xbar = new Float32Array(chunk.length * c);
  chunk.forEach((i, k) => xbar.set(xbarAll.subarray(i * c, (i + 1) * c), k * c));
  // Warm-up steps read positions only for reviewed OOD (the CLS head trains on the pooled features).
  const needMaps = sample || chunk.some((i) => items[i]!.label === OOD_LABEL);
  return {
    x: needMaps ? prepareRows(await store.maps(rows), c, stats, v) : new Float32Array(0),
    xbar,
    pooled: standardise(await store.pooled(rows), pooledStats),
    labels: chunk.map((i) => items[i]!.label),
  };
}

/** (x - mean) / std per channel, in place: done once per batch in JS instead of two uploads and two kernels per
 * step on the backend (the scorer standardises the same way on the backend). */
function standardise(x: Float32Array, stats: InputStats): Float32Array {
  const c = stats.mean.length;
  for (let o = 0; o < x.length; o += c)
    for (let j = 0; j < c; j++) x[o + j] = (x[o + j]! - stats.mean[j]!) / stats.std[j]!;
  return x;
}

/** Rows `idx` of a row-major [*, w] array as a [idx.length, w] tensor, or undefined when idx is empty. */
function takeRows(a: Float32Array, w: number, idx: ArrayLike<number>): tf.Tensor2D | undefined {
  if (idx.length === 0) return undefined;
  const out = new Float32Array(idx.length * w);
  for (let i = 0; i < idx.length; i++) out.set(a.subarray(idx[i]! * w, (idx[i]! + 1) * w), i * w);
  return tf.tensor2d(out, [idx.length, w]);
}

/** One step's loss pieces. Sampling happens here, outside any gradient (stop-gradient by construction). */
function prepareStep(
  b: Batch,
  vars: Record<string, tf.Tensor>,
  m: number,
  P: number,
  c: number,
  pooledC: number,
  gamma: number,
  sample: boolean,
  v: Variant,
  rng: () => number,
  collect?: { id: PositionSample; background: PositionSample },
): StepInputs {
  const idRows: number[] = [];
  const oodRows: number[] = [];
  b.labels.forEach((y, i) => (y === OOD_LABEL ? oodRows : idRows).push(i));
  let oneHot: tf.Tensor2D | undefined;
  if (idRows.length) {
    const oh = new Float32Array(idRows.length * m);
    idRows.forEach((i, k) => (oh[k * m + b.labels[i]!] = 1));
    oneHot = tf.tensor2d(oh, [idRows.length, m]);
  }
  const rowsPart = {
    idRows,
    oodRows,
    xbarId: takeRows(b.xbar, c, idRows),
    xbarOod: takeRows(b.xbar, c, oodRows),
    pooledId: takeRows(b.pooled, pooledC, idRows),
    oneHot,
  };
  if (!sample && oodRows.length === 0) return rowsPart;
  let masks: ReturnType<typeof sampleMasks>;
  if (sample) {
    const logits = tf.tidy(() => clsLogits(neck(tf.tensor2d(b.x, [b.labels.length * P, c]), vars, v), vars, v));
    const conf = ownClassConfidence(logits.dataSync() as Float32Array, b.labels, P, m);
    logits.dispose();
    masks = sampleMasks(conf, gamma);
  } else {
    // Warm-up with reviewed OOD: only their positions (all OOD by review) enter; no logits needed.
    masks = { id: new Uint8Array(b.labels.length * P), ood: new Uint8Array(b.labels.length * P) };
  }
  const sel = selectPositions(masks, b.labels, P, v.cap, rng);
  if (collect && sample) {
    // Only positions of ID images: the sampler's own choice (a reviewed-OOD image's positions are all OOD anyway).
    const ofIdImage = (i: number): boolean => b.labels[Math.floor(i / P)] !== OOD_LABEL;
    collect.id.add(b.x, sel.id, ofIdImage);
    collect.background.add(b.x, sel.ood, ofIdImage);
  }
  return {
    ...rowsPart,
    xId: takeRows(b.x, c, sel.id),
    xOod: takeRows(b.x, c, sel.ood),
    stats: samplingStats(masks, b.labels, P),
  };
}

interface StepInputs {
  idRows: number[];
  oodRows: number[];
  xbarId?: tf.Tensor2D;
  xbarOod?: tf.Tensor2D;
  pooledId?: tf.Tensor2D;
  oneHot?: tf.Tensor2D;
  xId?: tf.Tensor2D;
  xOod?: tf.Tensor2D;
  stats?: ReturnType<typeof samplingStats>;
}

function disposeStep(s: StepInputs): void {
  tf.dispose(
    [s.xbarId, s.xbarOod, s.pooledId, s.oneHot, s.xId, s.xOod].filter((t): t is tf.Tensor2D => t !== undefined),
  );
}

function stepLoss(s: StepInputs, vars: Record<string, tf.Tensor>, alpha: number, v: Variant): tf.Scalar {
  const ssod = ssodLoss({
    clsLogits: s.xbarId ? clsLogits(neck(s.xbarId, vars, v), vars, v) : undefined,
    oneHot: s.oneHot,
    idLogits: s.xId ? oodLogits(neck(s.xId, vars, v), vars, v) : undefined,
    oodLogits: s.xOod ? oodLogits(neck(s.xOod, vars, v), vars, v) : undefined,
    pooledOodLogits: s.xbarOod ? oodLogits(neck(s.xbarOod, vars, v), vars, v) : undefined,
    alpha,
  });
  if (!s.pooledId || !s.oneHot) return ssod;
  // The baseline classifier trains beside the heads on the pooled feature; its parameters are disjoint.
  // pooledId is standardised already (loadBatch).
  const base = tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(s.oneHot, baseLogits(s.pooledId, undefined, vars));
  return tf.add(ssod, base);
}

export async function trainOne(input: TrainOneInput): Promise<TrainedHeads> {
  const { store, items, config, variant: v, classes: m } = input;
  const { mapH, mapW, mapC, pooledC } = store.layout;
  const P = mapH * mapW;
  const rng = createRng(input.seed);
  const shapes = headShapes(mapC, m, v);
  const fitRows = input.fit.map((i) => items[i]!.row);
  const stats = await inputStats(
    store,
    fitRows.filter((_, k) => items[input.fit[k]!]!.label !== OOD_LABEL),
  );
  const vars = toVariables(initHeadArrays(shapes, v, rng, pooledC), shapes, pooledC);
  let t0 = now();
  const itemRows = items.map((it) => it.row);
  // Without input normalisation the prepared positions are the raw ones: their mean is the store's map mean.
  const xbarAll =
    !v.inputNorm && store.mapMeans
      ? await store.mapMeans(itemRows)
      : await pooledPrepared(store, itemRows, stats.map, v);
  t0 = lap('train: pooled positions', t0);
  const optimizer = tf.train.adam(config.learningRate);
  const batchSize = effectiveBatchSize(config.batchSize, input.fit.length, v, P * mapC * 4);
  const lossCurve: LossRecord[] = [];
  const warnings: string[] = [];
  let gamma = config.gamma;
  let best = { loss: Infinity, epoch: -1, arrays: readVariables(vars) };
  let share = { id: 0, ood: 0 };
  let positions: { id: PositionSample; background: PositionSample } | undefined;
  let epoch = 0;
  try {
    for (; epoch < config.epochs; epoch++) {
      const sample = epoch >= config.warmupEpochs;
      const order = shuffleInPlace([...input.fit], rng);
      let total = 0;
      let batches = 0;
      let idSum = 0;
      let oodSum = 0;
      let posSum = 0;
      t0 = lap('train: epoch start', t0);
      // The last SSOD epoch's sampled positions are what the diagnosis judges.
      if (sample) positions = { id: new PositionSample(mapC), background: new PositionSample(mapC) };
      for (let s = 0; s < order.length; s += batchSize) {
        throwIfCancelled(input.signal);
        let t = now();
        const chunk = order.slice(s, s + batchSize);
        const b = await loadBatch(store, items, chunk, xbarAll, stats.map, stats.pooled, v, sample);
        t = lap('train: load batch', t);
        const prep = prepareStep(b, vars, m, P, mapC, pooledC, gamma, sample, v, rng, positions);
        t = lap('train: sampling', t);
        if (prep.stats) {
          idSum += prep.stats.idShare * prep.stats.positions;
          oodSum += prep.stats.oodShare * prep.stats.positions;
          posSum += prep.stats.positions;
        }
        // Every variable must take part in every step: tfjs's Adam keeps its moments by position in the list
        // of variables that received a gradient, so a step that skips one (warm-up) would misalign them.
        // The anchor costs a dozen kernels per step, so it is added only to steps that would leave a variable out:
        // every variable takes part when the batch has ID rows and some position or OOD row reaches the OOD head.
        const allUsed = prep.idRows.length > 0 && (prep.xId || prep.xOod || prep.xbarOod) !== undefined;
        const anchor = (): tf.Scalar => tf.mul(0, tf.addN(Object.values(vars).map((t) => tf.sum(t))));
        const loss = optimizer.minimize(() => {
          const l = stepLoss(prep, vars, config.alpha, v);
          return allUsed ? l : tf.add(l, anchor());
        }, true);
        total += loss ? (loss.dataSync()[0] ?? 0) : 0;
        batches++;
        tf.dispose(loss ?? undefined);
        disposeStep(prep);
        lap('train: gradient step', t);
      }
      if (sample && posSum > 0) {
        share = { id: idSum / posSum, ood: oodSum / posSum };
        // A degenerate background (almost no position below 1 - gamma) starves the OOD head: widen sampling.
        if (share.ood < v.minOodShare && gamma > 0.7) {
          const next = Math.max(0.7, Math.round((gamma - 0.1) * 100) / 100);
          warnings.push(
            `epoch ${epoch + 1}: only ${(share.ood * 100).toFixed(1)}% of positions sampled as background at gamma ${gamma}; lowering gamma to ${next}`,
          );
          gamma = next;
        }
      }
      const tv = now();
      const valLoss = sample && input.val.length ? await evalLoss(input, vars, stats, xbarAll, gamma, P, m) : undefined;
      t0 = lap('train: validation loss', tv);
      lossCurve.push({
        epoch: epoch + 1,
        phase: sample ? 'ssod' : 'warmup',
        loss: total / Math.max(1, batches),
        valLoss,
      });
      input.onProgress?.({
        phase: input.phase,
        done: epoch + 1,
        total: config.epochs,
        loss: total / Math.max(1, batches),
      });
      if (sample) {
        const l = valLoss ?? total / Math.max(1, batches);
        if (l < best.loss - 1e-6) best = { loss: l, epoch, arrays: readVariables(vars) };
        else if (epoch - best.epoch >= v.patience) {
          epoch++;
          break;
        }
      } else best = { loss: Infinity, epoch, arrays: readVariables(vars) };
      t0 = lap('train: epoch bookkeeping', t0);
    }
  } finally {
    optimizer.dispose();
    tf.dispose(Object.values(vars));
  }
  if (share.ood < v.minOodShare)
    warnings.push(
      `few background positions (${(share.ood * 100).toFixed(1)}%): SSOD's OOD head had little to learn from`,
    );
  const backgroundSpread = positions ? spreadRatio(positions.id, positions.background) : undefined;
  if (backgroundSpread !== undefined && backgroundSpread < v.minBackgroundSpread)
    warnings.push(
      `background positions are all alike (spread ${backgroundSpread.toFixed(3)} of the objects'): SSOD's OOD head ` +
        `learns that one background, not "not in-distribution"; its own score is not to be trusted on this data`,
    );
  return {
    shapes,
    arrays: best.arrays,
    mapStats: stats.map,
    pooledStats: stats.pooled,
    lossCurve,
    diagnostics: {
      epochs: epoch,
      bestEpoch: best.epoch + 1,
      idShare: share.id,
      oodShare: share.ood,
      gammaUsed: gamma,
      batchSize,
      backgroundSpread: backgroundSpread ?? null,
      warnings,
    },
  };
}

async function evalLoss(
  input: TrainOneInput,
  vars: Record<string, tf.Tensor>,
  stats: { map: InputStats; pooled: InputStats },
  xbarAll: Float32Array,
  gamma: number,
  P: number,
  m: number,
): Promise<number> {
  const rng = createRng(input.seed ^ 0x51ed);
  let total = 0;
  let n = 0;
  for (let s = 0; s < input.val.length; s += input.config.batchSize) {
    const chunk = input.val.slice(s, s + input.config.batchSize);
    const b = await loadBatch(input.store, input.items, chunk, xbarAll, stats.map, stats.pooled, input.variant, true);
    const { mapC, pooledC } = input.store.layout;
    const prep = prepareStep(b, vars, m, P, mapC, pooledC, gamma, true, input.variant, rng);
    const l = tf.tidy(() => stepLoss(prep, vars, input.config.alpha, input.variant));
    total += (l.dataSync()[0] ?? 0) * chunk.length;
    n += chunk.length;
    l.dispose();
    disposeStep(prep);
  }
  return total / Math.max(1, n);
}
