import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backends/select-backend.js';
import { foldedMobileNetV2Graph, runFoldedGraph } from './folded-graph.js';
import { loadBackbone } from './load-backbone.js';

function pixels(n: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = ((i * 7919) % 1009) / 1009;
  return out;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('folded graph as plain data', () => {
  it('runs to the same features as the backbone', async () => {
    const size = 96;
    const graph = foldedMobileNetV2Graph({ outputs: ['block_12_add', 'block_16_expand_relu'] });
    expect(graph.input).not.toBe('block_12_add');
    expect(graph.source.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    const backbone = await loadBackbone('mobilenet_v2', { inputSize: size });
    try {
      const px = pixels(2, size);
      const ref = await backbone.extract(px, 2);
      const [map, top] = runFoldedGraph(graph, tf.tensor4d(px, [2, size, size, 3])) as [tf.Tensor4D, tf.Tensor4D];
      const pooled = tf.mean(top, [1, 2]);
      const a = map.dataSync();
      const b = pooled.dataSync();
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - ref.maps[i]!));
      for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(b[i]! - ref.pooled[i]!));
      expect(d).toBeLessThan(1e-4);
      tf.dispose([map, top, pooled]);
    } finally {
      backbone.dispose();
    }
  });

  it('cuts the trainable top above the sampling map', () => {
    const top = foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_add' });
    expect(top.input).toBe('block_12_add');
    expect(top.units[0]).toMatchObject({ kind: 'conv', input: 'block_12_add', output: 'block_13_expand_relu' });
    expect(top.units.at(-1)?.output).toBe('out_relu');
    const convs = top.units.filter((u) => u.kind === 'conv');
    expect(convs.length).toBe(13);
    expect(() => foldedMobileNetV2Graph({ outputs: ['out_relu'], from: 'block_12_project_BN' })).toThrow(/reads/);
  });
});
