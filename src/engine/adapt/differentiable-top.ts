// The trainable top of the backbone (the folded units above the cached sampling map) as tf.Variables, with a
// forward pass every backend can differentiate. The wasm backend has no convolution gradient kernels, so there
// a 1x1 convolution is a matMul over positions and a 3x3 depthwise convolution is nine shifted slices of the
// padded input times per-channel weights, summed (stride 2: the padded input is reshaped so that each tap is a
// plain slice; tfjs has no StridedSlice gradient). Native TensorFlow backends differentiate the real conv ops.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { FoldedConvUnit, FoldedGraph, FoldedUnit } from '../types.js';

export type ConvOps = 'differentiable' | 'native';

/** The real conv ops where their gradients exist at speed (tfjs-node); the hand-built ops elsewhere. */
export function defaultConvOps(backend: string = tf.getBackend()): ConvOps {
  return backend === 'tensorflow' ? 'native' : 'differentiable';
}

interface TopConv {
  unit: FoldedConvUnit;
  filter: tf.Variable | tf.Tensor4D;
  bias: tf.Variable | tf.Tensor1D;
}

type Pads = [[number, number], [number, number]];

/** TensorFlow's padding for 'same' / 'valid' / explicit pads, per spatial axis. */
export function explicitPads(unit: FoldedConvUnit, inH: number, inW: number): Pads {
  if (Array.isArray(unit.pad)) return unit.pad;
  if (unit.pad === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  const axis = (size: number, k: number, s: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  return [axis(inH, unit.filterShape[0], unit.strides[0]), axis(inW, unit.filterShape[1], unit.strides[1])];
}

function checkDifferentiable(unit: FoldedConvUnit): void {
  const [kh, kw, , mult] = unit.filterShape;
  if (unit.depthwise && mult !== 1)
    throw new AppError('invalid-argument', `${unit.output}: depthwise multiplier ${mult} is not supported`);
  if (!unit.depthwise && (kh !== 1 || kw !== 1 || unit.strides[0] !== 1 || unit.strides[1] !== 1))
    throw new AppError('invalid-argument', `${unit.output}: only 1x1 stride-1 convolutions can train on this backend`);
}

// wasm's BatchMatMul with a transpose flag takes a slow path (~10x the plain product, measured); the matMul
// gradient sets those flags, so this one transposes explicitly and multiplies plainly.
const plainMatMulGrad = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** a x b for 2-D tensors, with a gradient free of transpose flags. */
export function plainMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return plainMatMulGrad(a, b) as tf.Tensor2D;
}

/** 1x1 convolution as [n*h*w, cin] x [cin, cout] + bias. */
function pointwise(x: tf.Tensor4D, filter: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const cout = filter.shape[3]!;
  const y = tf.add(plainMatMul(tf.reshape(x, [n * h * w, cin]), tf.reshape(filter, [cin, cout])), bias);
  return tf.reshape(y, [n, h, w, cout]);
}

/** The s*s parity planes of a padded [n, s*ch, s*cw, c] input: plane (py, px) holds x[:, s*y + py, s*x + px, :].
 * Cut with slices of rank <= 4 only: wasm slices higher ranks element by element in JavaScript (~100x slower). */
function parityPlanes(padded: tf.Tensor4D, s: [number, number], cells: [number, number]): tf.Tensor4D[][] {
  const [n, , , c] = padded.shape;
  const [sy, sx] = s;
  const [ch, cw] = cells;
  const rows = tf.reshape(padded, [n * ch, sy, cw, sx * c]);
  const planes: tf.Tensor4D[][] = [];
  for (let py = 0; py < sy; py++) {
    const row = tf.reshape(tf.slice(rows, [0, py, 0, 0], [n * ch, 1, cw, sx * c]), [n * ch * cw, sx * c]);
    const line: tf.Tensor4D[] = [];
    for (let px = 0; px < sx; px++) line.push(tf.reshape(tf.slice(row, [0, px * c], [n * ch * cw, c]), [n, ch, cw, c]));
    planes.push(line);
  }
  return planes;
}

/** Depthwise convolution as a sum over taps of a slice of the padded input times that tap's channel weights.
 * Stride s: tap (dy, dx) of output (y, x) reads parity plane (dy mod s, dx mod s) at (y + dy div s, x + dx div s),
 * so every tap is a plain slice (tfjs has no StridedSlice gradient). */
function depthwise(x: tf.Tensor4D, unit: FoldedConvUnit, filter: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [kh, kw] = unit.filterShape;
  const [sy, sx] = unit.strides;
  const [[pt, pb], [pl, pr]] = explicitPads(unit, h, w);
  const outH = Math.floor((h + pt + pb - kh) / sy) + 1;
  const outW = Math.floor((w + pl + pr - kw) / sx) + 1;
  const cellsH = Math.max(Math.ceil((h + pt + pb) / sy), outH + Math.floor((kh - 1) / sy));
  const cellsW = Math.max(Math.ceil((w + pl + pr) / sx), outW + Math.floor((kw - 1) / sx));
  const padded = tf.pad(x, [
    [0, 0],
    [pt, cellsH * sy - h - pt],
    [pl, cellsW * sx - w - pl],
    [0, 0],
  ]);
  const planes = sy === 1 && sx === 1 ? [[padded]] : parityPlanes(padded, [sy, sx], [cellsH, cellsW]);
  const taps: tf.Tensor4D[] = [];
  for (let dy = 0; dy < kh; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      const plane = planes[dy % sy]![dx % sx]!;
      const shifted = tf.slice(plane, [0, Math.floor(dy / sy), Math.floor(dx / sx), 0], [n, outH, outW, c]);
      taps.push(tf.mul(shifted, tf.reshape(tf.slice(filter, [dy, dx, 0, 0], [1, 1, c, 1]), [c])));
    }
  }
  return tf.add(tf.addN(taps), bias);
}

function nativeConv(x: tf.Tensor4D, unit: FoldedConvUnit, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const [h, w] = [x.shape[1], x.shape[2]];
  const [[pt, pb], [pl, pr]] = explicitPads(unit, h, w);
  const padded =
    pt + pb + pl + pr === 0
      ? x
      : tf.pad(x, [
          [0, 0],
          [pt, pb],
          [pl, pr],
          [0, 0],
        ]);
  const y = unit.depthwise
    ? tf.depthwiseConv2d(padded, filter, unit.strides, 'valid')
    : tf.conv2d(padded, filter, unit.strides, 'valid');
  return tf.add(y, bias);
}

export interface TopOptions {
  /** Outputs of the conv units that train (default: every conv unit); the others stay frozen constants. */
  trainable?: ReadonlySet<string>;
  convOps?: ConvOps;
}

/** The folded top as variables: `forward` gives the graph's outputs, `toGraph` copies the current weights out. */
export class DifferentiableTop {
  readonly convOps: ConvOps;
  private readonly convs = new Map<string, TopConv>();

  constructor(
    readonly graph: FoldedGraph,
    options: TopOptions = {},
  ) {
    this.convOps = options.convOps ?? defaultConvOps();
    for (const unit of graph.units) {
      if (unit.kind !== 'conv') continue;
      if (this.convOps === 'differentiable') checkDifferentiable(unit);
      const trains = options.trainable === undefined || options.trainable.has(unit.output);
      const filter = tf.tensor4d(unit.filter, unit.filterShape);
      const bias = tf.tensor1d(unit.bias);
      this.convs.set(unit.output, {
        unit,
        filter: trains ? tf.variable(filter, true, `${unit.output}/filter`) : filter,
        bias: trains ? tf.variable(bias, true, `${unit.output}/bias`) : bias,
      });
      if (trains) tf.dispose([filter, bias]);
    }
  }

  /** The trainable variables by name (`<unit>/filter`, `<unit>/bias`). */
  variables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const c of this.convs.values()) {
      if (c.filter instanceof tf.Variable) out[c.filter.name] = c.filter;
      if (c.bias instanceof tf.Variable) out[c.bias.name] = c.bias;
    }
    return out;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor4D>([[this.graph.input, x]]);
      const value = (name: string): tf.Tensor4D => {
        const t = values.get(name);
        if (t === undefined) throw new Error(`adapted top: ${name} not computed`);
        return t;
      };
      for (const unit of this.graph.units) values.set(unit.output, this.runUnit(unit, value));
      return this.graph.outputs.map(value);
    });
  }

  private runUnit(unit: FoldedUnit, value: (name: string) => tf.Tensor4D): tf.Tensor4D {
    if (unit.kind === 'add') return tf.add(value(unit.inputs[0]), value(unit.inputs[1]));
    const conv = this.convs.get(unit.output)!;
    const x = value(unit.input);
    let y: tf.Tensor4D;
    if (this.convOps === 'native') y = nativeConv(x, unit, conv.filter as tf.Tensor4D, conv.bias);
    else if (unit.depthwise) y = depthwise(x, unit, conv.filter, conv.bias);
    else y = pointwise(x, conv.filter, conv.bias);
    return unit.relu6 ? tf.clipByValue(y, 0, 6) : y;
  }

  /** The graph with the current weights, as plain arrays (for saving and for the fused-conv inference path). */
  toGraph(): FoldedGraph {
    const units = this.graph.units.map((unit): FoldedUnit => {
      if (unit.kind === 'add') return unit;
      const conv = this.convs.get(unit.output)!;
      return {
        ...unit,
        filter: Float32Array.from(conv.filter.dataSync() as Float32Array),
        bias: Float32Array.from(conv.bias.dataSync() as Float32Array),
      };
    });
    return { ...this.graph, units };
  }

  dispose(): void {
    for (const c of this.convs.values()) tf.dispose([c.filter, c.bias]);
    this.convs.clear();
  }
}
