// One training step's inputs: SSOD's sampling on the batch (outside any gradient: a stop-gradient by
// construction), then every tensor the loss needs, made through the trainer's scratch buffers.
import * as tf from '@tensorflow/tfjs';
import { OOD_LABEL } from '../types.js';
import type { Variant } from './config.js';
import { baseLogits, clsLogits, neck, oodLogits } from './heads.js';
import { balancedTargets, ssodLoss } from './loss.js';
import { ownClassConfidence, sampleMasks, samplingStats, selectPositions, type SamplingStats } from './sampling.js';
import type { PositionSample } from './background-spread.js';
import { copyRows, takeRows, type Batch, type Scratch } from './batch.js';

/** What every step of one trainer shares. */
export interface StepContext {
  vars: Record<string, tf.Tensor>;
  /** Classes, positions per map, map channels, pooled channels. */
  m: number;
  P: number;
  c: number;
  pooledC: number;
  alpha: number;
  variant: Variant;
  rng: () => number;
  scratch: Scratch;
  /** Standardisation of the pooled backbone feature for the baseline classifier, as tensors made once per model:
   * two kernels a step cost less than the same arithmetic in JavaScript on every batch. */
  pooledNorm: { mean: tf.Tensor1D; invStd: tf.Tensor1D };
}

export interface StepInputs {
  idRows: number[];
  xbarId?: tf.Tensor2D;
  pooledId?: tf.Tensor2D;
  oneHot?: tf.Tensor2D;
  /** Every OOD-head input of the step, [S, c], with its targets and weights. */
  oodX?: tf.Tensor2D;
  oodTargets?: tf.Tensor1D;
  oodWeights?: tf.Tensor1D;
  stats?: SamplingStats;
}

/** Sampled positions of the batch: by the CLS head's confidence in SSOD epochs; in warm-up only the positions of
 * reviewed-OOD images (all OOD by review; no logits needed). */
function samplePositions(
  ctx: StepContext,
  b: Batch,
  gamma: number,
  sample: boolean,
  collect?: { id: PositionSample; background: PositionSample },
): { id: Int32Array; ood: Int32Array; stats?: SamplingStats } {
  const { P, c, m, variant: v } = ctx;
  const n = b.labels.length;
  if (!sample) {
    if (!b.labels.includes(OOD_LABEL)) return { id: new Int32Array(0), ood: new Int32Array(0) };
    const empty = new Uint8Array(n * P);
    return selectPositions({ id: empty, ood: empty }, b.labels, P, v.cap, ctx.rng);
  }
  const probs = tf.tidy(() => tf.softmax(clsLogits(neck(tf.tensor2d(b.x, [n * P, c]), ctx.vars, v), ctx.vars, v)));
  const conf = ownClassConfidence(probs.dataSync() as Float32Array, b.labels, P, m);
  probs.dispose();
  const masks = sampleMasks(conf, gamma);
  const sel = selectPositions(masks, b.labels, P, v.cap, ctx.rng);
  if (collect) {
    // Only positions of ID images: the sampler's own choice (a reviewed-OOD image's positions are all OOD anyway).
    const ofIdImage = (i: number): boolean => b.labels[Math.floor(i / P)] !== OOD_LABEL;
    collect.id.add(b.x, sel.id, ofIdImage);
    collect.background.add(b.x, sel.ood, ofIdImage);
  }
  return { ...sel, stats: samplingStats(masks, b.labels, P) };
}

export function prepareStep(
  ctx: StepContext,
  b: Batch,
  gamma: number,
  sample: boolean,
  collect?: { id: PositionSample; background: PositionSample },
): StepInputs {
  const { m, c, pooledC, scratch } = ctx;
  const idRows: number[] = [];
  const oodRows: number[] = [];
  b.labels.forEach((y, i) => (y === OOD_LABEL ? oodRows : idRows).push(i));
  let oneHot: tf.Tensor2D | undefined;
  if (idRows.length) {
    const oh = scratch.take('oneHot', idRows.length * m).fill(0);
    idRows.forEach((i, k) => (oh[k * m + b.labels[i]!] = 1));
    oneHot = tf.tensor2d(oh, [idRows.length, m]);
  }
  const rowsPart = {
    idRows,
    xbarId: takeRows(b.xbar, c, idRows, scratch, 'xbarId'),
    pooledId: takeRows(b.pooled, pooledC, idRows, scratch, 'pooledId'),
    oneHot,
  };
  const sel = samplePositions(ctx, b, gamma, sample, collect);
  // Every OOD-head input in one tensor, group after group: sampled ID positions, sampled OOD positions, pooled
  // reviewed-OOD images; the weights make each group's BCE a mean of its own (balancedTargets).
  const S = sel.id.length + sel.ood.length + oodRows.length;
  if (S === 0) return { ...rowsPart, stats: sel.stats };
  const x = scratch.take('oodX', S * c);
  copyRows(b.x, c, sel.id, x, 0);
  copyRows(b.x, c, sel.ood, x, sel.id.length);
  copyRows(b.xbar, c, oodRows, x, sel.id.length + sel.ood.length);
  const { targets, weights } = balancedTargets(
    [
      { size: sel.id.length, target: 1 },
      { size: sel.ood.length, target: 0 },
      { size: oodRows.length, target: 0 },
    ],
    ctx.alpha,
  );
  return {
    ...rowsPart,
    oodX: tf.tensor2d(x, [S, c]),
    oodTargets: tf.tensor1d(targets),
    oodWeights: tf.tensor1d(weights),
    stats: sel.stats,
  };
}

export function disposeStep(s: StepInputs): void {
  tf.dispose(
    [s.xbarId, s.pooledId, s.oneHot, s.oodX, s.oodTargets, s.oodWeights].filter(
      (t): t is tf.Tensor2D | tf.Tensor1D => t !== undefined,
    ),
  );
}

export function stepLoss(ctx: StepContext, s: StepInputs): tf.Scalar {
  const { vars, variant: v, pooledNorm } = ctx;
  // The baseline classifier trains beside the heads on the standardised pooled feature; its parameters are disjoint.
  const pooled = s.pooledId && tf.mul<tf.Tensor2D>(tf.sub(s.pooledId, pooledNorm.mean), pooledNorm.invStd);
  return ssodLoss({
    clsLogits: s.xbarId ? clsLogits(neck(s.xbarId, vars, v), vars, v) : undefined,
    baseLogits: pooled ? baseLogits(pooled, undefined, vars) : undefined,
    oneHot: s.oneHot,
    oodLogits: s.oodX ? oodLogits(neck(s.oodX, vars, v), vars, v) : undefined,
    oodTargets: s.oodTargets,
    oodWeights: s.oodWeights,
  });
}
