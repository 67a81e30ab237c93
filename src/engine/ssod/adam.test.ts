import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { JsAdam } from './adam.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A small least-squares problem on two variables; `useB` = whether the step's loss reaches b. */
function problem() {
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2], [3, 2]);
  const y = tf.tensor1d([1, -2, 0.5]);
  const make = () => ({ w: tf.variable(tf.tensor2d([0.1, -0.3], [2, 1])), b: tf.variable(tf.scalar(0.2)) });
  const loss = (v: { w: tf.Variable; b: tf.Variable }, useB: boolean) => (): tf.Scalar => {
    const z = tf.matMul(x, v.w).reshape([-1]);
    return tf.mean(tf.square(tf.sub(useB ? tf.add(z, v.b) : z, y)));
  };
  return { make, loss };
}

describe('JsAdam', () => {
  it('follows tf.train.adam step for step, including steps that leave a variable out', () => {
    const { make, loss } = problem();
    const ours = make();
    const theirs = make();
    const adam = new JsAdam(ours, 0.05);
    const reference = tf.train.adam(0.05);
    for (let step = 0; step < 30; step++) {
      const useB = step % 3 !== 1;
      adam.minimize(loss(ours, useB)).dispose();
      // tf.train.adam keeps moments by position in the list of variables that got a gradient: the reference adds
      // b with a zero gradient, which is what JsAdam does for a variable the loss does not reach.
      const f = loss(theirs, useB);
      reference.minimize(() => (useB ? f() : tf.add(f(), tf.mul(0, theirs.b))), false, [theirs.w, theirs.b]);
    }
    const w = theirs.w.dataSync();
    ours.w.dataSync().forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 5));
    expect(ours.b.dataSync()[0]).toBeCloseTo(theirs.b.dataSync()[0]!, 5);
    // And it did move: 30 steps of 0.05 from the start.
    expect(Math.abs(ours.w.dataSync()[0]! - 0.1)).toBeGreaterThan(0.1);
  });

  it('returns the loss before the step', () => {
    const { make, loss } = problem();
    const v = make();
    const before = loss(v, true)().dataSync()[0]!;
    const adam = new JsAdam(v, 0.01);
    const l = adam.minimize(loss(v, true));
    expect(l.dataSync()[0]).toBeCloseTo(before, 6);
    expect(loss(v, true)().dataSync()[0]).toBeLessThan(before);
  });
});
