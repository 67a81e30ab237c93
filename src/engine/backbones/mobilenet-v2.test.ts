import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { isAppError } from '../../shared/errors.js';
import { selectBackend } from '../backends/select-backend.js';
import { chooseInputSize, loadBackbone, preprocessSpecFor } from './load-backbone.js';
import { DEFAULT_MAP_LAYER, DEFAULT_POOLED_LAYER, mobilenetV2FeatureLayers } from './mobilenet-v2.js';

/** A deterministic non-trivial image batch in [0, 1]. */
function pixels(n: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = ((i * 7919) % 1009) / 1009;
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

beforeAll(async () => {
  await selectBackend('wasm');
  // The bundled model must load without the network.
  vi.stubGlobal('fetch', () => Promise.reject(new Error('network used')));
});
afterAll(() => vi.unstubAllGlobals());

describe('mobilenet_v2 from nsfwjs', () => {
  it('pins the feature layer names', () => {
    const layers = mobilenetV2FeatureLayers();
    expect(layers).toHaveLength(62);
    expect(layers.slice(0, 3)).toEqual(['Conv1_relu', 'expanded_conv_depthwise_relu', 'expanded_conv_project_BN']);
    expect(layers).toEqual(
      expect.arrayContaining([
        'block_11_add',
        'block_12_add',
        'block_12_expand_relu',
        'block_13_expand_relu',
        'block_16_expand_relu',
        'block_16_project_BN',
      ]),
    );
    expect(layers.at(-1)).toBe('out_relu');
    expect(DEFAULT_MAP_LAYER).toBe('block_12_add');
    expect(DEFAULT_POOLED_LAYER).toBe('block_16_expand_relu');
  });

  it('loads offline at 224 with the expected shapes and identity', async () => {
    const backbone = await loadBackbone('mobilenet_v2', { inputSize: 224 });
    expect(backbone.layout).toEqual({ mapH: 14, mapW: 14, mapC: 96, pooledC: 960 });
    expect(backbone.identity).toMatchObject({
      package: 'nsfwjs@4.4.0',
      mapLayer: 'block_12_add',
      pooledLayer: 'block_16_expand_relu',
      inputSize: '224',
      variant: 'folded',
    });
    expect(backbone.identity['weightsSha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(backbone.preprocess).toEqual({ size: 224, fit: 'squash', mean: [0, 0, 0], std: [1, 1, 1], channels: 3 });
    const out = await backbone.extract(pixels(2, 224), 2);
    expect(out.maps.length).toBe(2 * 14 * 14 * 96);
    expect(out.pooled.length).toBe(2 * 960);
    expect(out.maps.some((v) => v !== 0)).toBe(true);
    backbone.dispose();
  });

  it('rebuilds at 128, with any candidate layers, and the key follows them', async () => {
    const before = tf.memory().numTensors;
    const backbone = await loadBackbone('mobilenet_v2', {
      inputSize: 128,
      mapLayer: 'block_13_expand_relu',
      pooledLayer: 'out_relu',
    });
    expect(backbone.layout).toEqual({ mapH: 8, mapW: 8, mapC: 576, pooledC: 1280 });
    const other = await loadBackbone('mobilenet_v2', { inputSize: 128 });
    expect(other.layout).toEqual({ mapH: 8, mapW: 8, mapC: 96, pooledC: 960 });
    expect(other.key).not.toBe(backbone.key);
    backbone.dispose();
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([224, 128])('folded map equals the stock Layers model at %i', async (size) => {
    const options = { inputSize: size, mapLayer: 'block_13_expand_relu', pooledLayer: 'out_relu' };
    const stock = await loadBackbone('mobilenet_v2', { ...options, variant: 'stock' });
    const folded = await loadBackbone('mobilenet_v2', options);
    const x = pixels(2, size);
    const [a, b] = [await stock.extract(x, 2), await folded.extract(x, 2)];
    expect(maxAbsDiff(a.maps, b.maps)).toBeLessThan(1e-3);
    expect(maxAbsDiff(a.pooled, b.pooled)).toBeLessThan(1e-4);
    // Not trivially equal: the maps carry signal.
    expect(a.maps.reduce((m, v) => Math.max(m, v), 0)).toBeGreaterThan(1);
    stock.dispose();
    folded.dispose();
  });

  it('refuses unknown layers and bad sizes with AppError', async () => {
    const e1: unknown = await loadBackbone('mobilenet_v2', { mapLayer: 'block_99' }).catch((e: unknown) => e);
    expect(isAppError(e1, 'invalid-argument')).toBe(true);
    expect((e1 as Error).message).toMatch(/candidates: Conv1_relu/);
    const e2: unknown = await loadBackbone('mobilenet_v2', { inputSize: 7 }).catch((e: unknown) => e);
    expect(isAppError(e2, 'invalid-argument')).toBe(true);
    const e3: unknown = await loadBackbone('resnet').catch((e: unknown) => e);
    expect(isAppError(e3, 'invalid-argument')).toBe(true);
  });

  it('chooses the input size from the data', () => {
    expect(chooseInputSize(28)).toBe(96);
    expect(chooseInputSize(100)).toBe(128);
    expect(chooseInputSize(150)).toBe(160);
    expect(chooseInputSize(1024)).toBe(224);
    expect(preprocessSpecFor('mobilenet_v2', 28).size).toBe(96);
    expect(preprocessSpecFor('mobilenet_v2', 28, { inputSize: 128, fit: 'pad' })).toMatchObject({
      size: 128,
      fit: 'pad',
    });
    expect(preprocessSpecFor('small-cnn', 28).size).toBe(28);
  });
});
