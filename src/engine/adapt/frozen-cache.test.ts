import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldedMobileNetV2Graph, runFoldedGraph } from '../backbones/folded-graph.js';
import { selectBackend } from '../backends/select-backend.js';
import { createMemoryStore } from '../ssod/memory-store.js';
import type { FeatureStore } from '../types.js';
import { cacheFrozenOutputs } from './frozen-cache.js';
import { fashionBlock12Maps } from './testing/fashion-maps.js';
import { joinTop, splitTop, truncateTop, type TopSplit } from './top-split.js';

let store: FeatureStore;
let split: TopSplit;
const N = 70; // more than one chunk of 64

beforeAll(async () => {
  await selectBackend('wasm');
  const real = await fashionBlock12Maps(N, 96);
  store = createMemoryStore(real.layout, real.maps, real.pooled);
  const top = truncateTop(foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' }), 'out_relu');
  split = splitTop(top, 'block_16');
}, 120_000);

function run(graph: Parameters<typeof runFoldedGraph>[0], maps: Float32Array, n: number, shape: number[]): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(maps, [n, shape[0]!, shape[1]!, shape[2]!]);
    return Array.from(runFoldedGraph(graph, x)[0]!.dataSync());
  });
}

describe('cacheFrozenOutputs', () => {
  it('holds what the frozen blocks give, so the trainable part on it equals the whole top on the maps', async () => {
    const items = Array.from({ length: N }, (_, row) => ({ row, label: 0 }));
    const cache = (await cacheFrozenOutputs(store, items, split.frozen))!;
    expect(cache.layout).toMatchObject({ mapH: 3, mapW: 3, mapC: 160 });
    const rows = [69, 3, 64, 0];
    const l = store.layout;
    const whole = run(joinTop(split, split.trainable), await store.maps(rows), rows.length, [l.mapH, l.mapW, l.mapC]);
    const c = cache.layout;
    const fromCache = run(split.trainable, await cache.maps(rows), rows.length, [c.mapH, c.mapW, c.mapC]);
    expect(fromCache).toHaveLength(whole.length);
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(whole[i]! - fromCache[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('is not built when nothing is frozen or it would not fit, and refuses rows it does not hold', async () => {
    const items = [0, 1, 2].map((row) => ({ row, label: 0 }));
    expect(await cacheFrozenOutputs(store, items, { ...split.frozen, units: [] })).toBeUndefined();
    expect(await cacheFrozenOutputs(store, items, split.frozen, { maxBytes: 1000 })).toBeUndefined();
    const cache = (await cacheFrozenOutputs(store, items, split.frozen))!;
    await expect(cache.maps([5])).rejects.toThrow(/outside the frozen cache/);
    expect(cache.readInto!('maps', [5], new Float32Array(3 * 3 * 160))).toBe(false);
  });
});
