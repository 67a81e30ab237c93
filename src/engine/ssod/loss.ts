// SSOD's loss: L = CE(CLS(GAP), y) + alpha * (mean BCE over ID positions (target 1) + mean BCE over OOD positions
// (target 0)), the two means taken separately because background positions far outnumber foreground ones.
// Reviewed-OOD images add their pooled OOD logit with target 0 as a third mean (outlier exposure) and are
// left out of the CE term by the caller.
import * as tf from '@tensorflow/tfjs';

export interface LossInputs {
  /** [B, M] class logits of the pooled features of ID-labelled images (may have B = 0). */
  clsLogits?: tf.Tensor2D;
  /** [B, M] one-hot labels for clsLogits. */
  oneHot?: tf.Tensor2D;
  /** OOD-head logits of positions sampled ID, [S_id]. */
  idLogits?: tf.Tensor1D;
  /** OOD-head logits of positions sampled OOD (and of every position of reviewed-OOD images), [S_ood]. */
  oodLogits?: tf.Tensor1D;
  /** OOD-head logits of the pooled features of reviewed-OOD images, [R]. */
  pooledOodLogits?: tf.Tensor1D;
  alpha: number;
}

/** Mean of sigmoid BCE against a constant target; callers pass no tensor when the set is empty. */
function meanBce(logits: tf.Tensor1D, target: 0 | 1): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy<tf.Tensor, tf.Scalar>(
    tf.fill(logits.shape, target),
    logits,
    undefined,
    0,
    tf.Reduction.MEAN,
  );
}

export function ssodLoss(x: LossInputs): tf.Scalar {
  const terms: tf.Scalar[] = [];
  if (x.clsLogits && x.oneHot && x.clsLogits.shape[0] > 0) {
    terms.push(
      tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(x.oneHot, x.clsLogits, undefined, 0, tf.Reduction.MEAN),
    );
  }
  const bce: tf.Scalar[] = [];
  if (x.idLogits && x.idLogits.shape[0] > 0) bce.push(meanBce(x.idLogits, 1));
  if (x.oodLogits && x.oodLogits.shape[0] > 0) bce.push(meanBce(x.oodLogits, 0));
  if (x.pooledOodLogits && x.pooledOodLogits.shape[0] > 0) bce.push(meanBce(x.pooledOodLogits, 0));
  if (bce.length > 0 && x.alpha !== 0) terms.push(tf.mul<tf.Scalar>(tf.addN(bce), x.alpha));
  return terms.length === 0 ? tf.scalar(0) : tf.addN<tf.Scalar>(terms);
}
