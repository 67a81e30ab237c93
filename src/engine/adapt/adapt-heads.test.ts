import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backends/select-backend.js';
import { createRng, normals } from '../ssod/rng.js';
import { headTensors, initialHeads, oodLogits } from './adapt-heads.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('bounded OOD head', () => {
  it('never gives a logit above its bias, however far the input is from training', () => {
    const rng = createRng(3);
    const c = 16;
    const pooled = normals(40 * c, 1, rng).map(Math.abs);
    const heads = initialHeads(
      pooled,
      Array.from({ length: 40 }, (_, i) => i % 4),
      4,
      8,
    );
    const h = headTensors(heads);
    const far = tf.tensor2d(normals(50 * c, 1000, rng), [50, c]);
    const logits = oodLogits(far, h, heads.scale).dataSync();
    for (const l of logits) expect(l).toBeLessThanOrEqual(heads.oodBias + 1e-5);
    // A position at a prototype scores near the bias; one on the opposite side of the sphere far below it.
    const proto = tf.tensor2d(heads.prototypes.slice(0, c), [1, c]);
    const near = oodLogits(proto, h, heads.scale).dataSync()[0]!;
    const opposite = oodLogits(tf.neg<tf.Tensor2D>(proto), h, heads.scale).dataSync()[0]!;
    expect(near).toBeGreaterThan(opposite + 8);
    tf.dispose([far, proto, h.clsW, h.clsB, h.prototypes, h.oodBias]);
  });
});
