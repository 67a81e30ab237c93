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
import type { Variant } from './config.js';
import {
  baseLogits,
  channelStats,
  clsLogits,
  headShapes,
  initHeadArrays,
  neck,
  oodLogits,
  prepare,
  readVariables,
  toVariables,
  type HeadShapes,
  type InputStats,
} from './heads.js';
import { ssodLoss } from './loss.js';
import { ownClassConfidence, sampleMasks, samplingStats, selectPositions } from './sampling.js';
import { createRng, shuffleInPlace } from './rng.js';

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

interface BatchTensors {
  /** Prepared positions [B*P, c]. */
  x: tf.Tensor2D;
  /** Pooled (mean of prepared positions) [B, c]. */
  xbar: tf.Tensor2D;
  pooled: tf.Tensor2D;
  labels: number[];
}

async function loadBatch(
  store: FeatureStore,
  rows: number[],
  labels: number[],
  stats: InputStats,
  v: Variant,
): Promise<BatchTensors> {
  const { mapH, mapW, mapC, pooledC } = store.layout;
  const P = mapH * mapW;
  const maps = await store.maps(rows);
  const pooled = await store.pooled(rows);
  return tf.tidy(() => {
    const x = prepare(tf.tensor2d(maps, [rows.length * P, mapC]), stats, v);
    const xbar = tf.mean<tf.Tensor2D>(x.reshape([rows.length, P, mapC]), 1);
    return { x, xbar, pooled: tf.tensor2d(pooled, [rows.length, pooledC]), labels };
  });
}

/** One step's loss pieces. Sampling happens here, outside any gradient (stop-gradient by construction). */
function prepareStep(
  b: BatchTensors,
  vars: Record<string, tf.Tensor>,
  m: number,
  P: number,
  gamma: number,
  sample: boolean,
  v: Variant,
  rng: () => number,
): StepInputs {
  const idRows: number[] = [];
  const oodRows: number[] = [];
  b.labels.forEach((y, i) => (y === OOD_LABEL ? oodRows : idRows).push(i));
  // Rows are picked here, outside the gradient closure: wasm has no gradient for gather.
  const take = (t: tf.Tensor2D, r: number[]): tf.Tensor2D | undefined =>
    r.length ? tf.gather<tf.Tensor2D>(t, tf.tensor1d(r, 'int32')) : undefined;
  const rowsPart = {
    idRows,
    oodRows,
    xbarId: take(b.xbar, idRows),
    xbarOod: take(b.xbar, oodRows),
    pooledId: take(b.pooled, idRows),
    oneHot: idRows.length
      ? (tf
          .oneHot(
            tf.tensor1d(
              idRows.map((i) => b.labels[i]!),
              'int32',
            ),
            m,
          )
          .toFloat() as tf.Tensor2D)
      : undefined,
  };
  if (!sample && oodRows.length === 0) return rowsPart;
  const logits = tf.tidy(() => clsLogits(neck(b.x, vars, v), vars, v));
  const conf = ownClassConfidence(logits.dataSync() as Float32Array, b.labels, P, m);
  logits.dispose();
  const masks = sampleMasks(conf, gamma);
  if (!sample) {
    masks.id.fill(0);
    masks.ood.fill(0);
  }
  const sel = selectPositions(masks, b.labels, P, v.cap, rng);
  const xId = sel.id.length ? tf.gather(b.x, tf.tensor1d(sel.id, 'int32')) : undefined;
  const xOod = sel.ood.length ? tf.gather(b.x, tf.tensor1d(sel.ood, 'int32')) : undefined;
  return { ...rowsPart, xId, xOod, stats: samplingStats(masks, b.labels, P) };
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

function stepLoss(
  s: StepInputs,
  vars: Record<string, tf.Tensor>,
  pooledStats: InputStats,
  alpha: number,
  v: Variant,
): tf.Scalar {
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
  const base = tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(s.oneHot, baseLogits(s.pooledId, pooledStats, vars));
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
  const optimizer = tf.train.adam(config.learningRate);
  const lossCurve: LossRecord[] = [];
  const warnings: string[] = [];
  let gamma = config.gamma;
  let best = { loss: Infinity, epoch: -1, arrays: readVariables(vars) };
  let share = { id: 0, ood: 0 };
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
      for (let s = 0; s < order.length; s += config.batchSize) {
        throwIfCancelled(input.signal);
        const chunk = order.slice(s, s + config.batchSize);
        const b = await loadBatch(
          store,
          chunk.map((i) => items[i]!.row),
          chunk.map((i) => items[i]!.label),
          stats.map,
          v,
        );
        const prep = prepareStep(b, vars, m, P, gamma, sample, v, rng);
        if (prep.stats) {
          idSum += prep.stats.idShare * prep.stats.positions;
          oodSum += prep.stats.oodShare * prep.stats.positions;
          posSum += prep.stats.positions;
        }
        // Every variable must take part in every step: tfjs's Adam keeps its moments by position in the list
        // of variables that received a gradient, so a step that skips one (warm-up) would misalign them.
        const anchor = (): tf.Scalar => tf.mul(0, tf.addN(Object.values(vars).map((t) => tf.sum(t))));
        const loss = optimizer.minimize(
          () => tf.add(stepLoss(prep, vars, stats.pooled, config.alpha, v), anchor()),
          true,
        );
        total += loss ? (loss.dataSync()[0] ?? 0) : 0;
        batches++;
        tf.dispose([loss ?? undefined, b.x, b.xbar, b.pooled]);
        disposeStep(prep);
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
      const valLoss = sample && input.val.length ? await evalLoss(input, vars, stats, gamma, P, m) : undefined;
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
    }
  } finally {
    optimizer.dispose();
    tf.dispose(Object.values(vars));
  }
  if (share.ood < v.minOodShare)
    warnings.push(
      `few background positions (${(share.ood * 100).toFixed(1)}%): SSOD's OOD head had little to learn from`,
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
      warnings,
    },
  };
}

async function evalLoss(
  input: TrainOneInput,
  vars: Record<string, tf.Tensor>,
  stats: { map: InputStats; pooled: InputStats },
  gamma: number,
  P: number,
  m: number,
): Promise<number> {
  const rng = createRng(input.seed ^ 0x51ed);
  let total = 0;
  let n = 0;
  for (let s = 0; s < input.val.length; s += input.config.batchSize) {
    const chunk = input.val.slice(s, s + input.config.batchSize);
    const b = await loadBatch(
      input.store,
      chunk.map((i) => input.items[i]!.row),
      chunk.map((i) => input.items[i]!.label),
      stats.map,
      input.variant,
    );
    const prep = prepareStep(b, vars, m, P, gamma, true, input.variant, rng);
    const l = tf.tidy(() => stepLoss(prep, vars, stats.pooled, input.config.alpha, input.variant));
    total += (l.dataSync()[0] ?? 0) * chunk.length;
    n += chunk.length;
    tf.dispose([l, b.x, b.xbar, b.pooled]);
    disposeStep(prep);
  }
  return total / Math.max(1, n);
}
