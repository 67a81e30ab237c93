// One joint epoch of adapt mode: sample positions (outside the gradient), train the top and heads on this
// epoch's views, validate, keep the best weights, write the checkpoint.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { FeatureLayout, FeatureStore, FoldedGraph, LossRecord, TrainItem } from '../types.js';
import { shuffleInPlace } from '../ssod/rng.js';
import type { GroupAdam } from './adam-groups.js';
import { forEachChunk, frozenForward, mapShape, readMaps } from './adapt-data.js';
import type { HeadVariables } from './adapt-heads.js';
import { adaptLoss, classTargets, correctCount, type LossTargets } from './adapt-loss.js';
import type { AdaptInput } from './adapt-types.js';
import { writeCheckpoint } from './checkpoint.js';
import type { AdaptConfig } from './config.js';
import type { DifferentiableTop } from './differentiable-top.js';
import { PositionCarry } from './position-carry.js';
import {
  batchWeights,
  projection,
  PROJECTION_DIMS,
  readPositions,
  sampleEpoch,
  type EpochSampling,
  type PositionFeatures,
  type SamplingReport,
} from './sampler.js';
import { joinTop, type TopSplit } from './top-split.js';
import { drawViews, viewTensor, type View } from './views.js';

export interface EpochContext {
  input: AdaptInput;
  config: AdaptConfig;
  store: FeatureStore;
  classes: number;
  fit: TrainItem[];
  val: TrainItem[];
  split: TopSplit;
  top: DifferentiableTop;
  /** Layout of the adapted map. */
  layout: FeatureLayout;
  heads: HeadVariables | undefined;
  adam: GroupAdam | undefined;
  rng: () => number;
  curve: LossRecord[];
  reports: SamplingReport[];
  warnings: string[];
  best: { loss: number; epoch: number; arrays: Record<string, Float32Array> } | undefined;
  badEpochs: number;
  epochSeconds: number[];
  resumedFrom?: number;
  valAccuracy?: number;
  /** Held-out ID accuracy of the pretrained top with the warmed-up CLS head: what adapting must not lose. */
  valAccuracyBefore?: number;
  /** The frozen blocks' output per image, when it was computed once (no crops): every pass reads it instead. */
  frozenCache?: FeatureStore;
  /** Sampler inputs gathered during this epoch's passes, and those the last epoch gathered (read by this one). */
  carry?: PositionCarry;
  carried?: PositionFeatures;
}

/** Where the passes read from: the frozen blocks' cached output, or the cached block-12 maps. */
export function passStore(ctx: EpochContext): FeatureStore {
  return ctx.frozenCache ?? ctx.store;
}

/** What runs on a batch without gradient before the trainable part: nothing when the frozen output is cached. */
function passFrozen(ctx: EpochContext): FoldedGraph {
  return ctx.frozenCache ? { ...ctx.split.frozen, units: [] } : ctx.split.frozen;
}

/** The whole forward graph of a pass with the current weights, from what passStore holds. */
export function passGraph(ctx: EpochContext): FoldedGraph {
  return ctx.frozenCache ? ctx.top.toGraph() : joinTop(ctx.split, ctx.top.toGraph());
}

/** Below these, the sampled background is "all alike" (one colour): said in the run. */
const MIN_SPREAD_RATIO = 0.2;
const MAX_DOMINANT_CLUSTER = 0.8;

function variables(ctx: EpochContext): Record<string, tf.Variable> {
  return { ...ctx.top.variables(), ...ctx.heads!.vars };
}

function snapshot(ctx: EpochContext): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(variables(ctx))) out[name] = Float32Array.from(v.dataSync() as Float32Array);
  return out;
}

function warnAbout(ctx: EpochContext, r: SamplingReport): void {
  if (r.gamma < ctx.config.gamma)
    ctx.warnings.push(`too few positions passed gamma ${ctx.config.gamma}: sampled with gamma ${r.gamma}`);
  if (r.oodShare === 0)
    ctx.warnings.push('no background positions were sampled: the OOD head learned from reviews only');
  const alike =
    (r.spreadRatio !== undefined && r.spreadRatio < MIN_SPREAD_RATIO) ||
    (r.dominantClusterShare !== undefined && r.dominantClusterShare > MAX_DOMINANT_CLUSTER);
  if (alike)
    ctx.warnings.push(
      `the sampled background positions are all alike (spread ratio ${r.spreadRatio?.toFixed(3) ?? '-'}, ` +
        `largest cluster ${((r.dominantClusterShare ?? 1) * 100).toFixed(0)}%): background clusters are balanced ` +
        `(${ctx.config.backgroundClusters}), random crops ${ctx.config.cropShare > 0 ? 'on' : 'off (cropShare)'}`,
    );
}

/** Per-position confidences and projections of every item: carried from the last epoch's passes when they saw
 * the same views (no crops), else read in a pass of their own. */
async function positionFeatures(ctx: EpochContext, views: View[]): Promise<PositionFeatures> {
  const carried = ctx.carried;
  ctx.carried = undefined;
  if (carried && views.every((v) => v === null)) return carried;
  const items = [...ctx.fit, ...ctx.val];
  const allViews = [...views, ...ctx.val.map(() => null)];
  const positions = ctx.layout.mapH * ctx.layout.mapW;
  const confidence = new Float32Array(items.length * positions);
  const projected = new Float32Array(items.length * positions * PROJECTION_DIMS);
  const project = projection(ctx.layout.mapC, ctx.rng);
  const heads = ctx.heads!.tensors();
  const graph = passGraph(ctx);
  try {
    await forEachChunk(passStore(ctx), items, allViews, graph, 64, (out, at, n) => {
      const p = readPositions(
        out,
        items.slice(at, at + n).map((t) => t.label),
        heads,
        project,
      );
      confidence.set(p.confidence, at * positions);
      projected.set(p.projected, at * positions * PROJECTION_DIMS);
    });
  } finally {
    project.dispose();
  }
  return { confidence, projected };
}

async function sample(ctx: EpochContext, views: View[]): Promise<EpochSampling> {
  const features = await positionFeatures(ctx, views);
  const c = ctx.config;
  return sampleEpoch(
    features,
    [...ctx.fit, ...ctx.val].map((t) => t.label),
    ctx.layout.mapH * ctx.layout.mapW,
    {
      gamma: c.gamma,
      minGamma: c.minGamma,
      minShare: c.minShare,
      cap: c.cap,
      clusters: c.backgroundClusters,
      seed: c.seed,
    },
    ctx.rng,
  );
}

function targetsOf(
  ctx: EpochContext,
  sampling: EpochSampling,
  indices: readonly number[],
  labels: number[],
): LossTargets {
  const positions = ctx.layout.mapH * ctx.layout.mapW;
  const flat = new Int32Array(indices.length * positions);
  indices.forEach((i, k) => {
    for (let j = 0; j < positions; j++) flat[k * positions + j] = i * positions + j;
  });
  return { ...classTargets(labels, ctx.classes), ...batchWeights(sampling, flat, ctx.config.alpha) };
}

function etaSeconds(ctx: EpochContext, epoch: number, fractionDone: number, epochStart: number): number | undefined {
  const elapsed = (performance.now() - epochStart) / 1000;
  if (fractionDone <= 0) return undefined;
  const perEpoch = elapsed / fractionDone;
  return perEpoch * (1 - fractionDone) + perEpoch * (ctx.config.epochs - epoch);
}

async function trainPass(ctx: EpochContext, epoch: number, views: View[], sampling: EpochSampling): Promise<number> {
  const { config } = ctx;
  const order = shuffleInPlace(
    ctx.fit.map((_, i) => i),
    ctx.rng,
  );
  const shape = mapShape(passStore(ctx));
  const start = performance.now();
  const steps = Math.ceil(order.length / config.batchSize);
  let sum = 0;
  for (let s = 0; s < steps; s++) {
    if (ctx.input.signal?.aborted) throw new AppError('cancelled', 'adapt training cancelled');
    const idx = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
    const maps = await readMaps(
      passStore(ctx),
      idx.map((i) => ctx.fit[i]!.row),
    );
    const x = frozenForward(
      passFrozen(ctx),
      viewTensor(
        maps,
        idx.length,
        shape,
        idx.map((i) => views[i]!),
      ),
    );
    const t = targetsOf(
      ctx,
      sampling,
      idx,
      idx.map((i) => ctx.fit[i]!.label),
    );
    const heads = ctx.heads!.tensors();
    let loss: number;
    try {
      loss = ctx.adam!.minimize(() =>
        tf.tidy(() => {
          const out = ctx.top.forward(x)[0]!;
          ctx.carry?.record(
            out,
            idx,
            idx.map((i) => ctx.fit[i]!.label),
            heads,
          );
          return adaptLoss(out, t, heads, config.prototypeScale);
        }),
      );
    } finally {
      x.dispose();
    }
    if (!Number.isFinite(loss))
      throw new AppError(
        'engine-failed',
        `adapt training diverged (loss ${loss} at epoch ${epoch}, step ${s + 1}); nothing was saved and the ` +
          'previous model stays current: try a lower learning rate',
      );
    sum += loss;
    ctx.input.onProgress?.({
      phase: 'train',
      epoch,
      epochs: config.epochs,
      done: s + 1,
      total: steps,
      loss,
      ...optional('etaSeconds', etaSeconds(ctx, epoch, (s + 1) / steps, start)),
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return steps ? sum / steps : 0;
}

function optional<K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, number>);
}

/** Loss and accuracy of the validation images with the epoch's new weights (fused forward). */
async function validate(ctx: EpochContext, sampling: EpochSampling): Promise<{ loss: number; accuracy: number }> {
  if (ctx.val.length === 0) return { loss: NaN, accuracy: NaN };
  const graph = passGraph(ctx);
  const heads = ctx.heads!.tensors();
  let loss = 0;
  let correct = 0;
  await forEachChunk(passStore(ctx), ctx.val, null, graph, 64, (out, at, n) => {
    const indices = Array.from({ length: n }, (_, k) => ctx.fit.length + at + k);
    const labels = ctx.val.slice(at, at + n).map((t) => t.label);
    const t = targetsOf(ctx, sampling, indices, labels);
    ctx.carry?.record(out, indices, labels, heads);
    loss += tf.tidy(() => adaptLoss(out, t, heads, ctx.config.prototypeScale).dataSync()[0]!) * n;
    correct += correctCount(out, labels, heads);
  });
  return { loss: loss / ctx.val.length, accuracy: correct / ctx.val.length };
}

/** Held-out ID accuracy of the CLS head on the current top (undefined without validation images). */
export async function valAccuracyOf(ctx: EpochContext): Promise<number | undefined> {
  if (ctx.val.length === 0) return undefined;
  const graph = passGraph(ctx);
  const heads = ctx.heads!.tensors();
  let correct = 0;
  await forEachChunk(passStore(ctx), ctx.val, null, graph, 64, (out, at, n) => {
    correct += correctCount(
      out,
      ctx.val.slice(at, at + n).map((t) => t.label),
      heads,
    );
  });
  return correct / ctx.val.length;
}

async function checkpoint(ctx: EpochContext, epoch: number, fingerprint: string): Promise<void> {
  if (!ctx.input.checkpointDir) return;
  const arrays: Record<string, Float32Array> = {};
  for (const [name, a] of Object.entries(snapshot(ctx))) arrays[`cur:${name}`] = a;
  for (const [name, a] of Object.entries(ctx.best?.arrays ?? {})) arrays[`best:${name}`] = a;
  const adam = ctx.adam!.state();
  for (const [name, { m, v }] of Object.entries(adam.moments)) {
    arrays[`m:${name}`] = m;
    arrays[`v:${name}`] = v;
  }
  const meta = {
    curve: ctx.curve,
    reports: ctx.reports,
    badEpochs: ctx.badEpochs,
    epochSeconds: ctx.epochSeconds,
    adamT: adam.t,
    ...(ctx.valAccuracyBefore !== undefined ? { valAccuracyBefore: ctx.valAccuracyBefore } : {}),
    ...(ctx.best ? { bestLoss: ctx.best.loss, bestEpoch: ctx.best.epoch } : {}),
  };
  await writeCheckpoint(ctx.input.checkpointDir, { fingerprint, epoch, meta, arrays });
}

/** The epoch's training and validation passes; without crops they also gather the next epoch's sampler inputs. */
async function carryingPasses(
  ctx: EpochContext,
  epoch: number,
  views: View[],
  sampling: EpochSampling,
  progress: (phase: 'validate') => void,
): Promise<{ trainLoss: number; val: { loss: number; accuracy: number } }> {
  const positions = ctx.layout.mapH * ctx.layout.mapW;
  if (ctx.config.cropShare === 0)
    ctx.carry = new PositionCarry(ctx.fit.length + ctx.val.length, positions, ctx.layout.mapC, ctx.rng);
  try {
    const trainLoss = await trainPass(ctx, epoch, views, sampling);
    progress('validate');
    const val = await validate(ctx, sampling);
    const carried = ctx.carry?.features();
    if (carried) ctx.carried = carried;
    return { trainLoss, val };
  } finally {
    ctx.carry?.dispose();
    ctx.carry = undefined;
  }
}

/** One epoch; true when early stopping says to stop. */
export async function runEpoch(ctx: EpochContext, epoch: number, fingerprint: string): Promise<boolean> {
  const t0 = performance.now();
  const { config } = ctx;
  const progress = (phase: 'sample' | 'validate' | 'checkpoint'): void =>
    ctx.input.onProgress?.({ phase, epoch, epochs: config.epochs, done: 0, total: 1 });
  const views = drawViews(ctx.fit.length, config.cropShare, config.minCropScale, ctx.rng);
  progress('sample');
  const sampling = await sample(ctx, views);
  ctx.reports.push(sampling.stats);
  warnAbout(ctx, sampling.stats);
  const { trainLoss, val } = await carryingPasses(ctx, epoch, views, sampling, progress);
  if (!Number.isNaN(val.accuracy)) ctx.valAccuracy = val.accuracy;
  const criterion = Number.isNaN(val.loss) ? trainLoss : val.loss;
  ctx.curve.push({ epoch, phase: 'adapt', loss: trainLoss, ...(Number.isNaN(val.loss) ? {} : { valLoss: val.loss }) });
  if (!ctx.best || criterion < ctx.best.loss - 1e-4) {
    ctx.best = { loss: criterion, epoch, arrays: snapshot(ctx) };
    ctx.badEpochs = 0;
  } else ctx.badEpochs++;
  ctx.epochSeconds.push((performance.now() - t0) / 1000);
  progress('checkpoint');
  await checkpoint(ctx, epoch, fingerprint);
  return ctx.badEpochs >= config.patience;
}
