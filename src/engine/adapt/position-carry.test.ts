import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends/select-backend.js';
import { createRng } from '../ssod/rng.js';
import { PositionCarry } from './position-carry.js';
import { PROJECTION_DIMS, projection, readPositions } from './sampler.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const C = 6;
const heads = () => ({
  clsW: tf.tensor2d(
    Array.from({ length: C * 3 }, (_, i) => Math.sin(i)),
    [C, 3],
  ),
  clsB: tf.tensor1d([0.1, -0.2, 0.3]),
});

describe('PositionCarry', () => {
  it('puts each batch at its items, in any order, and gives features only once every item is seen', () => {
    const h = heads() as unknown as Parameters<PositionCarry['record']>[3];
    const maps = tf.tensor4d(
      Array.from({ length: 3 * 2 * 2 * C }, (_, i) => Math.cos(i * 0.7)),
      [3, 2, 2, C],
    );
    const carry = new PositionCarry(3, 4, C, createRng(5));
    const second = tf.slice(maps, [2, 0, 0, 0], [1, 2, 2, C]);
    const first = tf.slice(maps, [0, 0, 0, 0], [2, 2, 2, C]);
    carry.record(second, [0], [2], h);
    expect(carry.features()).toBeUndefined();
    carry.record(first, [2, 1], [0, 1], h);
    const got = carry.features()!;
    // The same projection the carry drew, read in the sampler's item order [item 2's map, item 1's, item 0's].
    const project = projection(C, createRng(5));
    const reordered = tf.concat([
      second,
      tf.slice(first, [1, 0, 0, 0], [1, 2, 2, C]),
      tf.slice(first, [0, 0, 0, 0], [1, 2, 2, C]),
    ]);
    const want = readPositions(reordered, [2, 1, 0], h, project);
    expect(got.confidence).toHaveLength(want.confidence.length);
    Array.from(want.confidence).forEach((v, i) => expect(got.confidence[i]).toBeCloseTo(v, 6));
    expect(got.projected).toHaveLength(3 * 4 * PROJECTION_DIMS);
    Array.from(want.projected).forEach((v, i) => expect(got.projected[i]).toBeCloseTo(v, 6));
    carry.dispose();
    project.dispose();
  });
});
