import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import type { FoldedConvUnit, FoldedGraph } from '../types.js';
import { convertFoldedGraph, onnxFilter, OPSET } from './convert.js';
import { ModelProto } from './onnx-proto.js';

function conv(partial: Partial<FoldedConvUnit> & Pick<FoldedConvUnit, 'filterShape'>): FoldedConvUnit {
  const [kh, kw, cin, cout] = partial.filterShape;
  const n = kh * kw * cin * cout;
  return {
    kind: 'conv',
    input: 'x',
    output: 'y',
    depthwise: false,
    strides: [1, 1],
    pad: 'same',
    relu6: true,
    filter: Float32Array.from({ length: n }, (_, i) => i),
    bias: new Float32Array(partial.depthwise ? cin * cout : cout),
    ...partial,
  };
}

const source = { backbone: 't', package: 'p', weightsSha256: 'a'.repeat(64) };

describe('ONNX filter layout', () => {
  it('moves a conv filter from [kh, kw, in, out] to [out, in, kh, kw]', () => {
    const unit = conv({ filterShape: [2, 3, 4, 5] });
    const { dims, data } = onnxFilter(unit);
    expect(dims).toEqual([5, 4, 2, 3]);
    // element (y=1, x=2, i=3, o=4) of the tfjs filter
    const src = ((1 * 3 + 2) * 4 + 3) * 5 + 4;
    expect(data[((4 * 4 + 3) * 2 + 1) * 3 + 2]).toBe(src);
  });

  it('gives depthwise output channel in * multiplier + m, one input channel per group', () => {
    const unit = conv({ filterShape: [3, 3, 4, 2], depthwise: true });
    const { dims, data } = onnxFilter(unit);
    expect(dims).toEqual([8, 1, 3, 3]);
    const src = ((2 * 3 + 1) * 4 + 3) * 2 + 1; // y=2, x=1, channel 3, multiplier 1
    expect(data[(3 * 2 + 1) * 9 + 2 * 3 + 1]).toBe(src);
  });
});

describe('convertFoldedGraph', () => {
  const graph: FoldedGraph = {
    input: 'image',
    units: [
      conv({ input: 'image', output: 'a', filterShape: [3, 3, 3, 8], strides: [2, 2], pad: 'same' }),
      conv({
        input: 'a',
        output: 'b',
        filterShape: [3, 3, 8, 1],
        depthwise: true,
        pad: [
          [0, 1],
          [0, 1],
        ],
      }),
      conv({ input: 'b', output: 'c', filterShape: [1, 1, 8, 8], relu6: false, pad: 'valid' }),
      { kind: 'add', inputs: ['c', 'b'], output: 'd' },
    ],
    outputs: ['d'],
    source,
  };

  it('writes a ModelProto with the ops, shapes and opset it claims', () => {
    const m = convertFoldedGraph(graph, {
      inputSize: 15,
      outputs: [
        { layer: 'd', as: 'map', name: 'map' },
        { layer: 'a', as: 'pooled', name: 'pooled' },
      ],
    });
    // 'same' stride 2: ceil(15 / 2) = 8; explicit (0, 1) padding with a 3x3 stride 1: 8 + 1 - 3 + 1 = 7.
    expect(m.shapes).toEqual({ map: [7, 7, 8], pooled: [8] });
    const decoded = ModelProto.toObject(ModelProto.decode(m.bytes), { longs: Number }) as {
      opsetImport: { version: number }[];
      graph: { node: { opType: string }[]; initializer: { name: string }[]; output: { name: string }[] };
    };
    expect(decoded.opsetImport[0]?.version).toBe(OPSET);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual([
      'Transpose',
      'Conv',
      'Clip',
      'Conv',
      'Clip',
      'Conv',
      'Add',
      'Transpose',
      'Identity',
      'ReduceMean',
    ]);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['map', 'pooled']);
    expect(decoded.graph.initializer.map((t) => t.name)).toContain('b/W');
  });

  it('refuses a graph whose shapes do not fit, with a clear error', () => {
    const bad: FoldedGraph = { ...graph, units: [...graph.units, { kind: 'add', inputs: ['d', 'a'], output: 'e' }] };
    const attempt = (): unknown =>
      convertFoldedGraph(bad, { inputSize: 15, outputs: [{ layer: 'e', as: 'map', name: 'map' }] });
    expect(attempt).toThrow(AppError);
    expect(attempt).toThrow(/different shapes/);
    expect(() =>
      convertFoldedGraph(graph, { inputSize: 15, outputs: [{ layer: 'zz', as: 'map', name: 'm' }] }),
    ).toThrow(/zz is read before/);
  });
});
