import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ssodLoss } from './loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const softplus = (z: number): number => Math.log(1 + Math.exp(z));

describe('ssodLoss', () => {
  it('adds CE and alpha times the two separate BCE means (hand-computed)', () => {
    const cls = tf.tensor2d([
      [2, 0],
      [0, 1],
    ]);
    const oneHot = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const idLogits = tf.tensor1d([3]);
    const oodLogits = tf.tensor1d([-1, 0, 2]);
    const loss = ssodLoss({ clsLogits: cls, oneHot, idLogits, oodLogits, alpha: 0.5 }).arraySync();
    const ce = (softplus(-2) + softplus(-1)) / 2; // -log softmax of the true class for 2 classes
    const bceId = softplus(-3); // target 1: log(1 + e^-z)
    const bceOod = (softplus(-1) + softplus(0) + softplus(2)) / 3; // target 0: log(1 + e^z)
    expect(loss).toBeCloseTo(ce + 0.5 * (bceId + bceOod), 5);
  });
  it('weighs one ID position as much as many OOD positions (balanced, not pooled)', () => {
    const a = ssodLoss({ idLogits: tf.tensor1d([0]), oodLogits: tf.tensor1d([0]), alpha: 1 }).arraySync();
    const b = ssodLoss({ idLogits: tf.tensor1d([0]), oodLogits: tf.tensor1d(new Array<number>(99).fill(0)), alpha: 1 });
    expect(b.arraySync()).toBeCloseTo(a, 6);
    expect(a).toBeCloseTo(2 * Math.log(2), 6);
  });
  it('adds reviewed-OOD pooled logits as their own term and skips empty sets', () => {
    const loss = ssodLoss({ pooledOodLogits: tf.tensor1d([1]), idLogits: tf.tensor1d([]), alpha: 2 });
    expect(loss.arraySync()).toBeCloseTo(2 * softplus(1), 6);
    expect(ssodLoss({ alpha: 1 }).arraySync()).toBe(0);
  });
});
