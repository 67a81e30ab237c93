// SSOD's loss: L = CE(CLS(GAP), y) + alpha * (mean BCE over ID positions (target 1) + mean BCE over OOD positions
// (target 0)), the two means taken separately because background positions far outnumber foreground ones.
// Reviewed-OOD images add their pooled OOD logit with target 0 as a third mean (outlier exposure) and are
// left out of the CE term by the caller. The baseline classifier's CE on the pooled backbone feature is added.
// Every step pays a fixed cost per kernel on wasm, so the terms are computed fused: the two classifiers' logits
// in one softmax cross-entropy, and every OOD-head logit in one weighted BCE whose weights turn each group's sum
// into its mean (balancedTargets).
import * as tf from '@tensorflow/tfjs';

export interface LossInputs {
  /** [B, M] class logits of the pooled features of ID-labelled images (may have B = 0). */
  clsLogits?: tf.Tensor2D;
  /** [B, M] the baseline classifier's logits for the same images. */
  baseLogits?: tf.Tensor2D;
  /** [B, M] one-hot labels for clsLogits (and baseLogits). */
  oneHot?: tf.Tensor2D;
  /** OOD-head logits of every group (sampled ID, sampled OOD, reviewed-OOD pooled), [S]. */
  oodLogits?: tf.Tensor1D;
  /** Target of each OOD-head logit (1 = in-distribution), [S]. */
  oodTargets?: tf.Tensor1D;
  /** Weight of each OOD-head logit, [S] (balancedTargets). */
  oodWeights?: tf.Tensor1D;
}

/** Targets and weights for OOD-head logits laid out group after group: every non-empty group's weights sum to
 * alpha, so a weighted sum of BCEs is alpha times the sum of the groups' means. */
export function balancedTargets(
  groups: readonly { size: number; target: 0 | 1 }[],
  alpha: number,
): { targets: Float32Array; weights: Float32Array } {
  const total = groups.reduce((s, g) => s + g.size, 0);
  const targets = new Float32Array(total);
  const weights = new Float32Array(total);
  let o = 0;
  for (const g of groups) {
    targets.fill(g.target, o, o + g.size);
    weights.fill(alpha / g.size, o, o + g.size);
    o += g.size;
  }
  return { targets, weights };
}

export function ssodLoss(x: LossInputs): tf.Scalar {
  const terms: tf.Scalar[] = [];
  const b = x.clsLogits?.shape[0] ?? 0;
  if (x.clsLogits && x.oneHot && b > 0) {
    // mean CE of each classifier = sum over both / B.
    const logits = x.baseLogits ? tf.concat([x.clsLogits, x.baseLogits], 0) : x.clsLogits;
    const labels = x.baseLogits ? tf.concat([x.oneHot, x.oneHot], 0) : x.oneHot;
    terms.push(tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(labels, logits, 1 / b, 0, tf.Reduction.SUM));
  }
  if (x.oodLogits && x.oodTargets && x.oodWeights && x.oodLogits.shape[0] > 0)
    terms.push(
      tf.losses.sigmoidCrossEntropy<tf.Tensor, tf.Scalar>(x.oodTargets, x.oodLogits, x.oodWeights, 0, tf.Reduction.SUM),
    );
  return terms.length === 0 ? tf.scalar(0) : terms.length === 1 ? terms[0]! : tf.add(terms[0]!, terms[1]!);
}
