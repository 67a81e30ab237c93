import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphFeatures, loadHumanGraph } from './quality-backbones.js';

// A one-op graph model in the converter's format, its placeholder fixed at 4x4 NCHW as NanoDet's is at 416.
const dir = mkdtempSync(join(tmpdir(), 'human-graph-'));
writeFileSync(
  join(dir, 'nanodet.json'),
  JSON.stringify({
    format: 'graph-model',
    modelTopology: {
      versions: { producer: 1482 },
      library: {},
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: {
            dtype: { type: 'DT_FLOAT' },
            shape: { shape: { dim: [1, 3, 4, 4].map((s) => ({ size: String(s) })) } },
          },
        },
        { name: 'y', op: 'Relu', input: ['x'], attr: { T: { type: 'DT_FLOAT' } } },
      ],
    },
    weightsManifest: [{ paths: ['nanodet.bin'], weights: [] }],
  }),
);
writeFileSync(join(dir, 'nanodet.bin'), Buffer.alloc(0));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('human-models graph features', () => {
  it('runs at another size than the saved one and returns NHWC maps from an NCHW graph', async () => {
    const graph = await loadHumanGraph('nanodet', dir);
    const features = new GraphFeatures(graph, {
      model: 'nanodet',
      input: 'nchw-rgb01',
      nodes: [{ alias: 'y', node: 'y', layout: 'nchw' }],
    });
    const x = tf.randomUniform([2, 8, 6, 3], -1, 1, 'float32', 3);
    const [y] = features.predict(x);
    expect(y!.shape).toEqual([2, 8, 6, 3]);
    const diff = tf.max(tf.abs(tf.sub(y!, tf.relu(x)))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-6);
  });

  it('feeds raw 0-255 pixels when the model was trained on them', async () => {
    const graph = await loadHumanGraph('nanodet', dir);
    const features = new GraphFeatures(graph, {
      model: 'nanodet',
      input: 'rgb255',
      nodes: [{ alias: 'y', node: 'y', layout: 'nhwc' }],
    });
    const [y] = features.predict(tf.fill([1, 2, 2, 3], 0.5));
    expect(Array.from(y!.dataSync())).toEqual(new Array<number>(12).fill(127.5));
  });
});
