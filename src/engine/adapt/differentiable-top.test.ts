import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backends/select-backend.js';
import { foldedMobileNetV2Graph, runFoldedGraph } from '../backbones/folded-graph.js';
import { createRng, normals } from '../ssod/rng.js';
import type { FoldedConvUnit, FoldedGraph } from '../types.js';
import { DifferentiableTop, explicitPads } from './differentiable-top.js';
import { fashionBlock12Maps } from './testing/fashion-maps.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function conv(
  input: string,
  output: string,
  shape: [number, number, number, number],
  extra: Partial<FoldedConvUnit>,
  rng: () => number,
): FoldedConvUnit {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    kind: 'conv',
    input,
    output,
    depthwise: false,
    strides: [1, 1],
    pad: 'same',
    relu6: true,
    filterShape: shape,
    filter: normals(size, 0.5, rng),
    bias: normals(extra.depthwise ? shape[2] : shape[3], 0.1, rng),
    ...extra,
  };
}

/** Every op kind of MobileNetV2's top, small: expand, stride-2 depthwise with explicit pads, projection,
 * stride-1 'same' depthwise, residual add. */
function tinyGraph(seed: number): FoldedGraph {
  const rng = createRng(seed);
  const dw = (input: string, output: string, extra: Partial<FoldedConvUnit>): FoldedConvUnit => {
    return conv(input, output, [3, 3, 6, 1], { depthwise: true, ...extra }, rng);
  };
  return {
    input: 'in',
    units: [
      conv('in', 'e1', [1, 1, 3, 6], {}, rng),
      dw('e1', 'd1', {
        strides: [2, 2],
        pad: [
          [0, 1],
          [0, 1],
        ],
        relu6: true,
      }),
      conv('d1', 'p1', [1, 1, 6, 3], { relu6: false }, rng),
      conv('p1', 'e2', [1, 1, 3, 6], {}, rng),
      dw('e2', 'd2', { relu6: true }),
      conv('d2', 'p2', [1, 1, 6, 3], { relu6: false }, rng),
      { kind: 'add', inputs: ['p1', 'p2'], output: 'a2' },
    ],
    outputs: ['a2'],
    source: { backbone: 'test', package: 'test', weightsSha256: '0'.repeat(64) },
  };
}

describe('explicitPads', () => {
  it('follows TensorFlow for same, valid and explicit pads', () => {
    const base = tinyGraph(1).units[1] as FoldedConvUnit;
    expect(explicitPads({ ...base, pad: 'same', strides: [1, 1] }, 7, 7)).toEqual([
      [1, 1],
      [1, 1],
    ]);
    // stride 2 'same' on an even side pads one at the end only (TensorFlow's convention).
    expect(explicitPads({ ...base, pad: 'same', strides: [2, 2] }, 14, 14)).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(explicitPads({ ...base, pad: 'valid' }, 7, 7)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(explicitPads(base, 7, 7)).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });
});

describe('differentiable top of MobileNetV2', () => {
  it('equals the fused-conv reference on real block-12 maps', async () => {
    const size = 96;
    const { maps, layout } = await fashionBlock12Maps(4, size);
    const graph = foldedMobileNetV2Graph({ outputs: ['block_13_depthwise_relu', 'out_relu'], from: 'block_12_add' });
    const x = tf.tensor4d(maps, [4, layout.mapH, layout.mapW, layout.mapC]);
    const ref = runFoldedGraph(graph, x);
    for (const convOps of ['differentiable', 'native'] as const) {
      const top = new DifferentiableTop(graph, { convOps });
      const out = top.forward(x);
      for (let k = 0; k < out.length; k++) {
        expect(out[k]!.shape).toEqual(ref[k]!.shape);
        expect(maxAbsDiff(out[k]!.dataSync(), ref[k]!.dataSync())).toBeLessThan(1e-4);
      }
      // Real activations, not a degenerate all-zero map.
      expect(tf.tidy(() => out[1]!.max().dataSync()[0]!)).toBeGreaterThan(0.5);
      tf.dispose(out);
      top.dispose();
    }
    tf.dispose([x, ...ref]);
  });

  it('keeps frozen units out of the variables and copies weights back out', () => {
    const graph = tinyGraph(2);
    const top = new DifferentiableTop(graph, { trainable: new Set(['p2']) });
    expect(Object.keys(top.variables()).sort()).toEqual(['p2/bias', 'p2/filter']);
    const copy = top.toGraph();
    expect(maxAbsDiff((copy.units[5] as FoldedConvUnit).filter, (graph.units[5] as FoldedConvUnit).filter)).toBe(0);
    top.dispose();
  });

  it('has gradients that match central finite differences for every op kind', () => {
    const graph = tinyGraph(3);
    const top = new DifferentiableTop(graph, { convOps: 'differentiable' });
    const rng = createRng(9);
    const x = tf.tensor4d(normals(2 * 7 * 7 * 3, 1, rng), [2, 7, 7, 3]);
    const outShape = top.forward(x)[0]!.shape;
    const r = tf.tensor(
      normals(
        outShape.reduce((a, b) => a * b, 1),
        1,
        rng,
      ),
      outShape,
    );
    const loss = (): tf.Scalar => tf.tidy(() => tf.sum(tf.mul(top.forward(x)[0]!, r)));
    const vars = top.variables();
    const { grads } = tf.variableGrads(loss, Object.values(vars));
    // Small enough that a probe rarely crosses a ReLU6 kink, large enough for float32 rounding of the loss.
    const eps = 2e-4;
    let checked = 0;
    for (const name of ['e1/filter', 'd1/filter', 'd1/bias', 'p1/filter', 'd2/filter', 'e2/bias', 'p2/filter']) {
      const v = vars[name]!;
      const g = grads[v.name]!.dataSync();
      const w = Float32Array.from(v.dataSync());
      for (const i of [0, Math.floor(w.length / 2), w.length - 1]) {
        const probe = (delta: number): number => {
          const p = w.slice();
          p[i] = w[i]! + delta;
          v.assign(tf.tensor(p, v.shape));
          return loss().dataSync()[0]!;
        };
        const fd = (probe(eps) - probe(-eps)) / (2 * eps);
        v.assign(tf.tensor(w, v.shape));
        expect(Math.abs(fd - g[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
        checked += g[i] !== 0 ? 1 : 0;
      }
    }
    // Most probes must see a live gradient (not a dead ReLU), or the check proves little.
    expect(checked).toBeGreaterThan(10);
    tf.dispose([x, r, ...Object.values(grads)]);
    top.dispose();
  });

  it('refuses a unit it cannot differentiate with the hand-built ops', () => {
    const graph = tinyGraph(4);
    const bad = {
      ...(graph.units[0] as FoldedConvUnit),
      filterShape: [3, 3, 3, 6] as [number, number, number, number],
    };
    expect(() => new DifferentiableTop({ ...graph, units: [bad] }, { convOps: 'differentiable' })).toThrow(/1x1/);
  });
});
