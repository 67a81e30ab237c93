import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldedMobileNetV2Graph } from '../backbones/folded-graph.js';
import { loadBackbone } from '../backbones/load-backbone.js';
import { mobilenetPreprocess } from '../backbones/mobilenet-v2.js';
import { selectBackend } from '../backends/select-backend.js';
import { initialHeads } from './adapt-heads.js';
import { adaptedBackbone } from './adapted-backbone.js';
import { adaptMaps } from './adapted-store.js';
import { defaultAdaptConfig } from './config.js';
import { adaptedKey, adaptedWeightsSha256, loadAdapted, saveAdapted, type AdaptedModel } from './saved-adapt.js';
import { fashionImages, toInput } from './testing/fashion-maps.js';

const dir = mkdtempSync(join(tmpdir(), 'adapted-'));
let model: AdaptedModel;

beforeAll(async () => {
  await selectBackend('wasm');
  const top = foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' });
  const heads = initialHeads(new Float32Array(2 * 1280).fill(1), [0, 1], 2, 8);
  model = {
    top,
    heads,
    classes: ['a', 'b'],
    config: defaultAdaptConfig(),
    inputLayout: { mapH: 6, mapW: 6, mapC: 96, pooledC: 960 },
    layout: { mapH: 3, mapW: 3, mapC: 1280, pooledC: 1280 },
    preprocess: mobilenetPreprocess(96),
  };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('saved adapted top and AdaptedBackbone', () => {
  it('round-trips the weights, names them by sha256, and refuses a tampered file', async () => {
    const path = join(dir, 'adapted.json');
    const sha = await saveAdapted(path, model);
    expect(sha).toBe(adaptedWeightsSha256(model));
    const back = await loadAdapted(path);
    expect(back.sha256).toBe(sha);
    expect(back.model.top.units.length).toBe(model.top.units.length);
    expect(adaptedWeightsSha256(back.model)).toBe(sha);
    const bin = readdirSync(dir).find((n) => n.endsWith('.bin'))!;
    writeFileSync(join(dir, bin), Buffer.alloc(16));
    await expect(loadAdapted(path)).rejects.toThrow(/do not match/);
    await expect(loadAdapted(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
  });

  it('extracts from images what the adapted store computes from their cached block-12 maps', async () => {
    const sha = adaptedWeightsSha256(model);
    const backbone = await adaptedBackbone(model, sha);
    expect(backbone.key).toBe(adaptedKey(sha, model.preprocess));
    expect(backbone.layout).toEqual(model.layout);
    const { pixels } = fashionImages(3);
    const input = toInput(pixels, 3, 96);
    const base = await loadBackbone('mobilenet_v2', { inputSize: 96, mapLayer: 'block_12_add' });
    const direct = adaptMaps(model.top, (await base.extract(input, 3)).maps, 3, model.inputLayout);
    const viaBackbone = await backbone.extract(input, 3);
    let d = 0;
    for (let i = 0; i < direct.maps.length; i++) d = Math.max(d, Math.abs(direct.maps[i]! - viaBackbone.maps[i]!));
    expect(d).toBeLessThan(1e-4);
    base.dispose();
    backbone.dispose();
  });
});
