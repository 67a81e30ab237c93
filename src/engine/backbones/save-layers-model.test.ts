import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends/select-backend.js';
import { loadBackbone } from './load-backbone.js';
import { saveLayersModel } from './save-layers-model.js';
import { buildSmallCnn, smallCnnBackbone, SMALL_CNN_MAP_LAYER } from './small-cnn.js';

let dir: string;

beforeAll(async () => {
  await selectBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ssod-save-layers-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('saveLayersModel', () => {
  it('writes a content-named folder the tfjs: loader reads back to the same map', async () => {
    const model = buildSmallCnn({ inputSize: 16, widths: [4, 4, 6], seed: 9 });
    const saved = await saveLayersModel(model, join(dir, 'models'));
    expect(saved.dir).toMatch(/backbone-[0-9a-f]{12}$/);
    expect((await readdir(saved.dir)).sort()).toEqual(['model.json', 'weights.bin']);
    // No temporary folder left beside it.
    expect(await readdir(join(dir, 'models'))).toEqual([saved.dir.split('/').at(-1)]);

    const loaded = await loadBackbone(`tfjs:${saved.modelJsonPath}#${SMALL_CNN_MAP_LAYER}`);
    expect(loaded.identity.weightsSha256).toBe(saved.sha256);
    expect(loaded.preprocess.size).toBe(16);
    expect(loaded.layout).toEqual({ mapH: 4, mapW: 4, mapC: 6, pooledC: 6 });
    const pixels = Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
    const original = smallCnnBackbone(model, 9);
    const [a, b] = [await original.extract(pixels, 2), await loaded.extract(pixels, 2)];
    expect(Array.from(b.maps)).toEqual(Array.from(a.maps));
    expect(Array.from(b.pooled)).toEqual(Array.from(a.pooled));
    loaded.dispose();

    // Saving the same weights again is a no-op into the same folder.
    const again = await saveLayersModel(model, join(dir, 'models'));
    expect(again).toEqual(saved);
    const manifest = JSON.parse(await readFile(saved.modelJsonPath, 'utf8')) as tf.io.ModelJSON;
    expect(manifest.format).toBe('layers-model');
    expect(manifest.weightsManifest[0]?.paths).toEqual(['weights.bin']);
    original.dispose();
  });
});
