import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { balancedTargets, ssodLoss } from './loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const softplus = (z: number): number => Math.log(1 + Math.exp(z));

/** The OOD-head inputs for groups of logits, as the trainer lays them out. */
function ood(groups: { logits: number[]; target: 0 | 1 }[], alpha: number) {
  const { targets, weights } = balancedTargets(
    groups.map((g) => ({ size: g.logits.length, target: g.target })),
    alpha,
  );
  return {
    oodLogits: tf.tensor1d(groups.flatMap((g) => g.logits)),
    oodTargets: tf.tensor1d(targets),
    oodWeights: tf.tensor1d(weights),
  };
}

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
    const terms = ood(
      [
        { logits: [3], target: 1 },
        { logits: [-1, 0, 2], target: 0 },
      ],
      0.5,
    );
    const loss = ssodLoss({ clsLogits: cls, oneHot, ...terms }).arraySync();
    const ce = (softplus(-2) + softplus(-1)) / 2; // -log softmax of the true class for 2 classes
    const bceId = softplus(-3); // target 1: log(1 + e^-z)
    const bceOod = (softplus(-1) + softplus(0) + softplus(2)) / 3; // target 0: log(1 + e^z)
    expect(loss).toBeCloseTo(ce + 0.5 * (bceId + bceOod), 5);
  });
  it('adds the baseline classifier mean CE on the same labels', () => {
    const oneHot = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const cls = tf.tensor2d([
      [2, 0],
      [0, 1],
    ]);
    const base = tf.tensor2d([
      [0, 3],
      [1, 1],
    ]);
    const loss = ssodLoss({ clsLogits: cls, baseLogits: base, oneHot }).arraySync();
    const ce = (softplus(-2) + softplus(-1)) / 2;
    const ceBase = (softplus(3) + softplus(0)) / 2;
    expect(loss).toBeCloseTo(ce + ceBase, 5);
  });
  it('weighs one ID position as much as many OOD positions (balanced, not pooled)', () => {
    const a = ssodLoss(
      ood(
        [
          { logits: [0], target: 1 },
          { logits: [0], target: 0 },
        ],
        1,
      ),
    ).arraySync();
    const b = ssodLoss(
      ood(
        [
          { logits: [0], target: 1 },
          { logits: new Array<number>(99).fill(0), target: 0 },
        ],
        1,
      ),
    ).arraySync();
    expect(b).toBeCloseTo(a, 6);
    expect(a).toBeCloseTo(2 * Math.log(2), 6);
  });
  it('adds reviewed-OOD pooled logits as their own mean and skips empty sets', () => {
    const loss = ssodLoss(
      ood(
        [
          { logits: [], target: 1 },
          { logits: [-2, -2], target: 0 },
          { logits: [1], target: 0 },
        ],
        2,
      ),
    ).arraySync();
    expect(loss).toBeCloseTo(2 * (softplus(-2) + softplus(1)), 6);
    expect(ssodLoss({}).arraySync()).toBe(0);
  });
});
