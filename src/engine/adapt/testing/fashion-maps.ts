// Real block-12 maps for the adapt tests: a few Fashion-MNIST test images (Debian's dataset-fashion-mnist, MIT)
// through the bundled MobileNetV2, so the trainable top is checked on the activations it will really see.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { loadBackbone } from '../../backbones/load-backbone.js';
import type { FeatureLayout } from '../../types.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function gz(name: string): Buffer {
  try {
    return gunzipSync(readFileSync(`${FASHION_DIR}/${name}`));
  } catch (e) {
    throw new Error(`cannot read ${FASHION_DIR}/${name}: apt-get install -y dataset-fashion-mnist`, { cause: e });
  }
}

/** The first `count` test images (28x28 grey bytes each) and their labels. */
export function fashionImages(count: number, offset = 0): { pixels: Uint8Array; labels: Uint8Array } {
  const images = gz('t10k-images-idx3-ubyte.gz');
  const labels = gz('t10k-labels-idx1-ubyte.gz');
  const size = 28 * 28;
  return {
    pixels: new Uint8Array(images.buffer, images.byteOffset + 16 + offset * size, count * size).slice(),
    labels: new Uint8Array(labels.buffer, labels.byteOffset + 8 + offset, count).slice(),
  };
}

/** 28x28 grey bytes to the backbone's input: bilinear to size x size, three channels, pixels / 255. */
export function toInput(grey: Uint8Array, count: number, size: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      Float32Array.from(grey, (v) => v / 255),
      [count, 28, 28, 1],
    );
    const resized = tf.image.resizeBilinear(x, [size, size]);
    return tf.tile(resized, [1, 1, 1, 3]).dataSync() as Float32Array;
  });
}

/** Block-12 maps (and the backbone's pooled feature) of `count` real images at `size`. */
export async function fashionBlock12Maps(
  count: number,
  size: number,
  offset = 0,
): Promise<{ maps: Float32Array; pooled: Float32Array; labels: Uint8Array; layout: FeatureLayout }> {
  const { pixels, labels } = fashionImages(count, offset);
  const backbone = await loadBackbone('mobilenet_v2', { inputSize: size, mapLayer: 'block_12_add' });
  try {
    const { maps, pooled } = await backbone.extract(toInput(pixels, count, size), count);
    return { maps, pooled, labels, layout: backbone.layout };
  } finally {
    backbone.dispose();
  }
}
