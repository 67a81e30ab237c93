import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { isAppError } from '../../shared/errors.js';
import { selectBackend } from '../backends/select-backend.js';
import type { BackendChoice } from '../types.js';
import {
  assertEndToEndAllowed,
  buildSmallCnn,
  smallCnnBackbone,
  smallCnnInputSize,
  trainEndToEnd,
} from './small-cnn.js';

const wasm: BackendChoice = { name: 'wasm', skipped: {}, trainsConvolutions: false };
let cpu: BackendChoice;

beforeAll(async () => {
  cpu = await selectBackend('cpu');
});

/** Two classes that differ in where a bright square sits, on noise. */
function toyData(n: number, size: number): { pixels: Float32Array; labels: Int32Array; n: number } {
  let s = 7;
  const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.4 - 0.2;
  const pixels = new Float32Array(n * size * size * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = labels[i] === 0 ? x < size / 2 && y < size / 2 : x >= size / 2 && y >= size / 2;
        for (let c = 0; c < 3; c++) pixels[((i * size + y) * size + x) * 3 + c] = (on ? 0.8 : -0.8) + rand();
      }
    }
  }
  return { pixels, labels, n };
}

describe('small-cnn', () => {
  it('adapts its input size to small data', () => {
    expect(smallCnnInputSize(28)).toBe(28);
    expect(smallCnnInputSize(30)).toBe(32);
    expect(smallCnnInputSize(500)).toBe(64);
    expect(smallCnnInputSize(5)).toBe(16);
  });

  it('is a Backbone with a map and its GAP', async () => {
    const backbone = smallCnnBackbone(buildSmallCnn({ inputSize: 28, widths: [4, 8, 8] }), 1);
    expect(backbone.layout).toEqual({ mapH: 7, mapW: 7, mapC: 8, pooledC: 8 });
    const out = await backbone.extract(new Float32Array(2 * 28 * 28 * 3).fill(0.3), 2);
    expect(out.maps.length).toBe(2 * 7 * 7 * 8);
    expect(out.pooled.length).toBe(16);
    backbone.dispose();
  });

  it('refuses end-to-end on wasm, and on cpu unless forced', () => {
    const onWasm = (): void => assertEndToEndAllowed(wasm, true);
    expect(onWasm).toThrow(/wasm cannot train convolutions/);
    try {
      onWasm();
    } catch (e) {
      expect(isAppError(e, 'refused')).toBe(true);
    }
    expect(() => assertEndToEndAllowed(cpu, false)).toThrow(/--backend cpu/);
    expect(() => assertEndToEndAllowed(cpu, true)).not.toThrow();
    expect(() => assertEndToEndAllowed({ ...cpu, name: 'tensorflow' }, false)).not.toThrow();
  });

  it('a toy backbone trains end to end on cpu and its loss falls', async () => {
    const model = buildSmallCnn({ inputSize: 8, widths: [4, 4, 8], seed: 3 });
    const before = tf.memory().numTensors;
    const { losses, heads } = await trainEndToEnd(model, toyData(16, 8), {
      classes: 2,
      steps: 16,
      batchSize: 8,
      learningRate: 0.02,
      gamma: 0.9,
      alpha: 0.5,
      seed: 5,
      backend: cpu,
      forced: true,
    });
    expect(losses).toHaveLength(16);
    const head = losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const tail = losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(tail).toBeLessThan(head * 0.7);
    expect(heads.clsW.length).toBe(8 * 2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
