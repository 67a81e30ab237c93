// SSOD's joint loss on the adapted map: CE of the CLS head on the pooled adapted feature (ID-labelled images
// only) + the OOD head's BCE over the sampled positions, whose weights (batchWeights) make it
// alpha * (mean over ID positions + mean over OOD positions). Targets and weights are plain tensors.
import * as tf from '@tensorflow/tfjs';
import { OOD_LABEL } from '../types.js';
import { clsLogits, oodLogits, type HeadTensors } from './adapt-heads.js';

export interface LossTargets {
  /** [B, M] one-hot (zero rows for reviewed-OOD images) and [B] CE weights (1 / ID images, 0 for OOD). */
  oneHot: Float32Array;
  ceWeights: Float32Array;
  /** [B * positions] BCE targets and weights; weight 0 = not sampled. */
  targets: Float32Array;
  weights: Float32Array;
}

export function classTargets(labels: readonly number[], classes: number): Pick<LossTargets, 'oneHot' | 'ceWeights'> {
  const oneHot = new Float32Array(labels.length * classes);
  const ceWeights = new Float32Array(labels.length);
  const nId = labels.filter((y) => y !== OOD_LABEL).length;
  labels.forEach((y, i) => {
    if (y === OOD_LABEL) return;
    oneHot[i * classes + y] = 1;
    ceWeights[i] = 1 / nId;
  });
  return { oneHot, ceWeights };
}

/** The loss of adapted maps f [B, h, w, C] (inside or outside a gradient). */
export function adaptLoss(f: tf.Tensor4D, t: LossTargets, heads: HeadTensors, scale: number, ce = true): tf.Scalar {
  const [b, h, w, c] = f.shape;
  const classes = heads.clsB.shape[0];
  const terms: tf.Scalar[] = [];
  if (ce && t.ceWeights.some((v) => v > 0)) {
    const logits = clsLogits(tf.mean<tf.Tensor2D>(f, [1, 2]), heads);
    const labels = tf.tensor2d(t.oneHot, [b, classes]);
    const weights = tf.tensor1d(t.ceWeights);
    terms.push(tf.losses.softmaxCrossEntropy(labels, logits, weights, 0, tf.Reduction.SUM));
  }
  if (t.weights.some((v) => v > 0)) {
    const logits = oodLogits(tf.reshape<tf.Rank.R2>(f, [b * h * w, c]), heads, scale);
    terms.push(
      tf.losses.sigmoidCrossEntropy(tf.tensor1d(t.targets), logits, tf.tensor1d(t.weights), 0, tf.Reduction.SUM),
    );
  }
  if (terms.length === 0) return tf.scalar(0);
  return terms.length === 1 ? terms[0]! : tf.add(terms[0]!, terms[1]!);
}

/** Share of ID-labelled images whose pooled adapted feature the CLS head classifies right. */
export function correctCount(f: tf.Tensor4D, labels: readonly number[], heads: HeadTensors): number {
  const pred = tf.tidy(() => tf.argMax(clsLogits(tf.mean<tf.Tensor2D>(f, [1, 2]), heads), 1).dataSync());
  let ok = 0;
  labels.forEach((y, i) => (ok += y !== OOD_LABEL && pred[i] === y ? 1 : 0));
  return ok;
}
