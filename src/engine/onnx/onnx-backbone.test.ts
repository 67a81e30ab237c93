// The ONNX path against the tfjs reference: the same features to 1e-4 on real images at two input sizes, a tiny
// graph with every padding kind at an odd size, and the cache's handling of corrupt and rejected conversions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backends/select-backend.js';
import { runFoldedGraph } from '../backbones/folded-graph.js';
import { loadBackbone } from '../backbones/load-backbone.js';
import { decodeBatchForBackbone } from '../backbones/preprocess.js';
import { encodeFloat16 } from '../features/float16.js';
import type { FoldedConvUnit, FoldedGraph } from '../types.js';
import { convertFoldedGraph, INPUT_NAME } from './convert.js';
import { loadOnnxBackbone, pickBatch } from './onnx-backbone.js';
import { loadOrt, type OrtModule } from './ort.js';
import { compareBackbones, maxAbsDiff, prepareMobileNetOnnx, TOLERANCE, type Prepared } from './prepare.js';
import { writeFashionJpegs } from './testing/fashion-jpegs.js';

let dir: string;
let jpegs: string[];
let ort: OrtModule;
beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'ssod-onnx-'));
  jpegs = await writeFashionJpegs(join(dir, 'images'), 6, 100);
  const loaded = await loadOrt();
  if (typeof loaded === 'string') throw new Error(`onnxruntime-node is part of this install: ${loaded}`);
  ort = loaded;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function prepared(p: Prepared | string): Prepared {
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('ONNX MobileNetV2 equals the tfjs folded backbone', () => {
  for (const inputSize of [96, 224]) {
    it(`on Fashion-MNIST JPEGs at ${inputSize}`, async () => {
      const p = prepared(await prepareMobileNetOnnx({ dir: join(dir, 'models'), inputSize }));
      expect(p.converted).toBe(true);
      const reference = await loadBackbone('mobilenet_v2', { inputSize });
      const onnx = await loadOnnxBackbone({ ...p.spec, threads: 1 });
      try {
        expect(onnx.key).toBe(reference.key);
        expect(onnx.layout).toEqual(reference.layout);
        const pixels = await decodeBatchForBackbone(jpegs, reference.preprocess);
        const diff = await compareBackbones(reference, onnx, pixels, jpegs.length);
        expect(diff).toBeLessThan(1e-4);
        const features = await onnx.extract(pixels, jpegs.length);
        expect(features.maps.some((v) => v > 0.1)).toBe(true); // real activations, not an empty map
        // The float16 output is the cache's encoding of the float32 map (round to nearest even: same bits).
        const half = await onnx.extractHalf(pixels, jpegs.length);
        const expected = encodeFloat16(features.maps);
        let differing = 0;
        for (let i = 0; i < expected.length; i++) if (half.maps16[i] !== expected[i]) differing++;
        expect(differing).toBe(0);
        expect(half.pooled).toEqual(features.pooled);
      } finally {
        reference.dispose();
        onnx.dispose();
      }
    });
  }
});

describe('ONNX conversion of every padding kind', () => {
  const unit = (
    u: Partial<FoldedConvUnit> & Pick<FoldedConvUnit, 'filterShape' | 'input' | 'output'>,
  ): FoldedConvUnit => {
    const [kh, kw, cin, cout] = u.filterShape;
    const n = kh * kw * cin * cout;
    return {
      kind: 'conv',
      depthwise: false,
      strides: [1, 1],
      pad: 'same',
      relu6: true,
      filter: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 0.5),
      bias: Float32Array.from({ length: u.depthwise ? cin * cout : cout }, (_, i) => 0.1 * i - 0.2),
      ...u,
    };
  };
  const graph: FoldedGraph = {
    input: 'image',
    units: [
      unit({ input: 'image', output: 'a', filterShape: [3, 3, 3, 6], strides: [2, 2] }),
      unit({
        input: 'a',
        output: 'b',
        filterShape: [3, 3, 6, 1],
        depthwise: true,
        pad: [
          [0, 1],
          [0, 1],
        ],
        strides: [2, 2],
      }),
      unit({ input: 'b', output: 'c', filterShape: [1, 1, 6, 6], relu6: false, pad: 'valid' }),
      unit({ input: 'c', output: 'd', filterShape: [3, 3, 6, 2], depthwise: true }),
      { kind: 'add', inputs: ['d', 'd'], output: 'e' },
    ],
    outputs: ['e', 'a'],
    source: { backbone: 'tiny', package: 'test', weightsSha256: '0'.repeat(64) },
  };

  it('matches tfjs at an odd input size', async () => {
    const size = 17;
    const model = convertFoldedGraph(graph, {
      inputSize: size,
      outputs: [
        { layer: 'e', as: 'map', name: 'map' },
        { layer: 'a', as: 'pooled', name: 'pooled' },
      ],
    });
    const session = await ort.InferenceSession.create(model.bytes);
    const px = Float32Array.from({ length: 2 * size * size * 3 }, (_, i) => ((i * 7919) % 1009) / 1009);
    const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', px, [2, size, size, 3]) });
    const [map, top] = runFoldedGraph(graph, tf.tensor4d(px, [2, size, size, 3]));
    const pooled = tf.mean(top as tf.Tensor4D, [1, 2]);
    expect(out['map']?.dims).toEqual([2, ...(map as tf.Tensor4D).shape.slice(1)]);
    expect(maxAbsDiff(out['map']?.data as Float32Array, (map as tf.Tensor).dataSync() as Float32Array)).toBeLessThan(
      1e-5,
    );
    expect(maxAbsDiff(out['pooled']?.data as Float32Array, pooled.dataSync() as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([map, top, pooled]);
    await session.release();
  });
});

describe('the converted-model cache', () => {
  it('reuses a good file, rebuilds a corrupt one', async () => {
    const models = join(dir, 'cache-test');
    const first = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96 }));
    const again = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96 }));
    expect(again.converted).toBe(false);
    expect(again.spec.modelPath).toBe(first.spec.modelPath);
    const bytes = await readFile(first.spec.modelPath);
    await writeFile(first.spec.modelPath, bytes.subarray(0, 1000));
    const rebuilt = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96 }));
    expect(rebuilt.converted).toBe(true);
    expect((await readFile(rebuilt.spec.modelPath)).equals(bytes)).toBe(true);
  });

  it('keys the file by input size and layers', async () => {
    const models = join(dir, 'cache-test');
    const a = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96 }));
    const b = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96, pooledLayer: 'block_12_add' }));
    expect(b.spec.modelPath).not.toBe(a.spec.modelPath);
    expect(b.spec.key).not.toBe(a.spec.key);
  });

  it('reports a conversion that differed from tfjs and does not convert it again', async () => {
    const models = join(dir, 'cache-test');
    const p = prepared(await prepareMobileNetOnnx({ dir: models, inputSize: 96 }));
    const metaPath = p.spec.modelPath.replace(/\.onnx$/, '.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Record<string, unknown>;
    await writeFile(metaPath, JSON.stringify({ ...meta, maxDiff: 0.02 }));
    const reason = await prepareMobileNetOnnx({ dir: models, inputSize: 96 });
    expect(reason).toBe(`conversion differs from tfjs by 2.00e-2 (tolerance ${TOLERANCE.toExponential(0)})`);
  });
});

describe('optional runtime', () => {
  it('a missing package is a reason, not a crash', async () => {
    expect(await loadOrt('onnxruntime-node-not-here')).toBe('not installed');
  });

  it('picks the fastest batch, the larger of two within 5%', () => {
    expect(
      pickBatch([
        { batch: 1, msPerImage: 6 },
        { batch: 4, msPerImage: 6.2 },
        { batch: 8, msPerImage: 8 },
      ]),
    ).toBe(4);
    expect(
      pickBatch([
        { batch: 1, msPerImage: 5 },
        { batch: 8, msPerImage: 9 },
      ]),
    ).toBe(1);
  });
});
