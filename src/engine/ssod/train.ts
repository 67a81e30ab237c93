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
  const optimizer = new JsAdam(vars, config.learningRate);
  const scratch = new Scratch();
  const pooledNorm = {
    mean: tf.tensor1d(stats.pooled.mean),
    invStd: tf.tensor1d(stats.pooled.std.map((s) => 1 / s)),
  };
  const ctx: StepContext = { vars, m, P, c: mapC, pooledC, alpha: config.alpha, variant: v, rng, scratch, pooledNorm };
  const read = (chunk: readonly number[], sample: boolean): Promise<Batch> =>
    loadBatch(store, items, chunk, xbarAll, stats.map, v, sample, scratch);
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
        const b = await read(chunk, sample);
        t = lap('train: load batch', t);
        const prep = prepareStep(ctx, b, gamma, sample, positions);
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
      // Validation samples with a fixed seed of its own, the same every epoch (the training rng is left alone).
      const valCtx = { ...ctx, rng: createRng(input.seed ^ 0x51ed) };
      const valLoss = sample && input.val.length ? await evalLoss(input, valCtx, read, gamma) : undefined;
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
    tf.dispose([...Object.values(vars), pooledNorm.mean, pooledNorm.invStd]);
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
