import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadMobileNetV2 } from './nsfwjs-layers.js';

describe('loadNsfwjsLayers', () => {
  it('rebuilds MobileNetV2 at another input size and reads the asked layers in one pass', async () => {
    const { model, outs } = await loadMobileNetV2(96, ['block_12_add', 'out_relu']);
    // Stride 16 at block_12 and 32 at the top: 96 / 16 = 6, 96 / 32 = 3.
    expect(outs).toEqual([
      { name: 'block_12_add', h: 6, w: 6, c: 96 },
      { name: 'out_relu', h: 3, w: 3, c: 1280 },
    ]);
    const ys = tf.tidy(() => model.predict(tf.zeros([2, 96, 96, 3])) as tf.Tensor[]);
    expect(ys.map((y) => y.shape)).toEqual([
      [2, 6, 6, 96],
      [2, 3, 3, 1280],
    ]);
    // Loaded weights, not a fresh initialisation: two different images give different maps.
    const a = tf.tidy(() => (model.predict(tf.fill([1, 96, 96, 3], 0.2)) as tf.Tensor[])[1]!.sum().dataSync()[0]!);
    const b = tf.tidy(() => (model.predict(tf.fill([1, 96, 96, 3], 0.8)) as tf.Tensor[])[1]!.sum().dataSync()[0]!);
    expect(Math.abs(a - b)).toBeGreaterThan(1e-3);
    tf.dispose(ys);
  });

  it('rebuilds at a second size with maps scaled to it', async () => {
    const { outs } = await loadMobileNetV2(64, ['block_12_add']);
    expect(outs).toEqual([{ name: 'block_12_add', h: 4, w: 4, c: 96 }]);
  });
});
