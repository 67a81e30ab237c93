// Warm-up: the CLS head alone on the pretrained top's pooled features (computed once), so the sampler's first
// confidences mean something (SSOD.md: "train the CLS head alone for a warm-up"). Cheap: a linear model on
// [n, C] rows, no pass through the top.
import * as tf from '@tensorflow/tfjs';
import { OOD_LABEL } from '../types.js';
import { shuffleInPlace } from '../ssod/rng.js';
import { GroupAdam } from './adam-groups.js';
import { clsLogits } from './adapt-heads.js';
import { classTargets } from './adapt-loss.js';
import type { EpochContext } from './adapt-epoch.js';

/** Faster than the joint phase: the head starts from zero and only it moves. */
const WARMUP_RATE_SCALE = 10;

export async function warmUp(ctx: EpochContext, pooled: Float32Array, labels: readonly number[]): Promise<void> {
  const { config } = ctx;
  const heads = ctx.heads!;
  const c = pooled.length / Math.max(1, labels.length);
  const adam = new GroupAdam(
    { clsW: heads.vars.clsW, clsB: heads.vars.clsB },
    () => config.learningRate * WARMUP_RATE_SCALE,
  );
  const idRows = labels.map((_, i) => i).filter((i) => labels[i] !== OOD_LABEL);
  const batch = Math.max(config.batchSize, 64);
  const x = new Float32Array(batch * c);
  for (let epoch = 1; epoch <= config.warmupEpochs; epoch++) {
    const order = shuffleInPlace([...idRows], ctx.rng);
    let sum = 0;
    let steps = 0;
    for (let at = 0; at < order.length; at += batch) {
      if (ctx.input.signal?.aborted) return;
      const part = order.slice(at, at + batch);
      part.forEach((r, k) => x.set(pooled.subarray(r * c, (r + 1) * c), k * c));
      const t = classTargets(
        part.map((r) => labels[r]!),
        ctx.classes,
      );
      const loss = adam.minimize(() =>
        tf.tidy(() => {
          const logits = clsLogits(tf.tensor2d(x.subarray(0, part.length * c), [part.length, c]), heads.tensors());
          const y = tf.tensor2d(t.oneHot, [part.length, ctx.classes]);
          return tf.losses.softmaxCrossEntropy(y, logits, tf.tensor1d(t.ceWeights), 0, tf.Reduction.SUM);
        }),
      );
      sum += loss;
      steps++;
    }
    ctx.curve.push({ epoch, phase: 'warm-up', loss: steps ? sum / steps : 0 });
    ctx.input.onProgress?.({
      phase: 'warm-up',
      epoch,
      epochs: config.epochs,
      done: epoch,
      total: config.warmupEpochs,
      loss: steps ? sum / steps : 0,
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
