import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldedMobileNetV2Graph } from '../backbones/folded-graph.js';
import { selectBackend } from '../backends/select-backend.js';
import { createMemoryStore } from '../ssod/memory-store.js';
import type { FeatureStore, FoldedGraph } from '../types.js';
import { initialHeads } from './adapt-heads.js';
import { adaptedFeatureStore, adaptMaps, unprojected } from './adapted-store.js';
import { spreadSample, withProjection } from './compact-output.js';
import { defaultAdaptConfig } from './config.js';
import { projectPositions } from './map-projection.js';
import { adaptedWeightsSha256, loadAdapted, saveAdapted, type AdaptedModel } from './saved-adapt.js';
import { fashionBlock12Maps } from './testing/fashion-maps.js';

const N = 40;
const dir = mkdtempSync(join(tmpdir(), 'compact-'));
let store: FeatureStore;
let model: AdaptedModel;
const rows = Array.from({ length: N }, (_, i) => i);

beforeAll(async () => {
  await selectBackend('wasm');
  const real = await fashionBlock12Maps(N, 96);
  store = createMemoryStore(real.layout, real.maps, real.pooled);
  const top: FoldedGraph = foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' });
  model = {
    top,
    heads: initialHeads(new Float32Array(2 * 1280).fill(1), [0, 1], 2, 8),
    classes: ['a', 'b'],
    config: defaultAdaptConfig(),
    inputLayout: real.layout,
    layout: { mapH: 3, mapW: 3, mapC: 1280, pooledC: 1280 },
  };
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the adapted map projected onto its dominant channels', () => {
  it('gives the heads k channels that are the full map times the directions, pooled as their mean', async () => {
    const projected = await withProjection(model, store, rows, 32);
    const p = projected.projection!;
    expect(projected.layout).toEqual({ mapH: 3, mapW: 3, mapC: 32, pooledC: 32 });
    expect([p.c, p.k]).toEqual([1280, 32]);
    // Real ReLU6 maps: 32 of 1280 directions hold most of their energy (0.86 here; 128 keep 0.975 at 10,000 images).
    expect(p.energyKept).toBeGreaterThan(0.8);
    const some = [0, 7, 39];
    const full = adaptMaps(model.top, await store.maps(some), 3, model.inputLayout);
    const want = tf.tidy(() => projectPositions(tf.tensor2d(full.maps, [3 * 9, 1280]), p).dataSync());
    const adapted = adaptedFeatureStore(projected, store);
    const got = await adapted.maps(some);
    expect(got.length).toBe(3 * 9 * 32);
    let d = 0;
    for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
    expect(d).toBeLessThan(1e-3);
    const pooled = await adapted.pooled(some);
    for (let c = 0; c < 32; c++) {
      let mean = 0;
      for (let q = 0; q < 9; q++) mean += got[q * 32 + c]! / 9;
      expect(pooled[c]).toBeCloseTo(mean, 4);
    }
    // The adapt run's own heads read the full map: unprojected gives it back.
    const back = adaptedFeatureStore(unprojected(projected), store);
    expect(back.layout.mapC).toBe(1280);
    expect((await back.maps([0])).slice(0, 20)).toEqual(full.maps.slice(0, 20));
  });

  it('keeps the full map when asked (0), or when the images give too few positions to fit k directions', async () => {
    expect(await withProjection(model, store, rows, 0)).toBe(model);
    expect(await withProjection(model, store, rows, 1280)).toBe(model);
    // 40 images × 9 positions = 360 < 4 × 128.
    expect(await withProjection(model, store, rows, 128)).toBe(model);
  });

  it('is saved with the model: the same directions come back, and they are part of its sha256', async () => {
    const projected = await withProjection(model, store, rows, 16);
    const path = join(dir, 'projected.json');
    const sha = await saveAdapted(path, projected);
    expect(sha).not.toBe(adaptedWeightsSha256(model));
    const back = await loadAdapted(path);
    expect(back.sha256).toBe(sha);
    expect(back.model.projection!.dirs).toEqual(projected.projection!.dirs);
    expect(back.model.layout.mapC).toBe(16);
  });

  it('fits on rows spread over the whole list', () => {
    expect(spreadSample([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(spreadSample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
  });
});
