// FoldedGraph (tfjs layout, NHWC) -> ONNX ModelProto bytes (NCHW inside, opset 13). The input is transposed to
// NCHW once; each folded unit becomes one Conv (group = channels for depthwise) plus Clip(0, 6) for ReLU6, which
// ONNX Runtime fuses into the convolution; residual sums are Add. Requested outputs leave the graph either as an
// NHWC map (the layout the feature cache stores) or pooled over positions (ReduceMean), so no transposed copy
// of a map is made on the JavaScript side.
import { AppError } from '../../shared/errors.js';
import type { FoldedConvUnit, FoldedGraph } from '../types.js';
import {
  DTYPE,
  floatTensor,
  intAttr,
  intsAttr,
  ModelProto,
  stringAttr,
  valueInfo,
  type NodeMessage,
  type TensorMessage,
} from './onnx-proto.js';

/** Bumped whenever the written graph changes: part of the cache key of converted models. */
export const CONVERTER_VERSION = 2;
export const OPSET = 13;
export const INPUT_NAME = 'pixels';

export interface OnnxOutput {
  /** Graph value (a folded unit's output) to read. */
  layer: string;
  /** 'map': [n, h, w, c] as it is; 'map16': the same as float16 (what the feature cache stores: ONNX Runtime's
   * vectorised Cast replaces a JavaScript encoding pass); 'pooled': [n, c], the mean over positions. */
  as: 'map' | 'map16' | 'pooled';
  /** Name of the ONNX graph output. */
  name: string;
}

export interface ConvertOptions {
  /** Input side (square): fixes every spatial size, so the shapes are checked here and not at run time. */
  inputSize: number;
  outputs: OnnxOutput[];
}

export interface ConvertedModel {
  bytes: Uint8Array;
  /** Shape per output name, without the batch dimension. */
  shapes: Record<string, number[]>;
}

interface Shape {
  h: number;
  w: number;
  c: number;
}

/** tfjs [kh, kw, in, out] -> ONNX [out, in, kh, kw]; depthwise [kh, kw, in, m] -> [in * m, 1, kh, kw]. */
export function onnxFilter(unit: FoldedConvUnit): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = unit.filterShape;
  const src = unit.filter;
  if (src.length !== kh * kw * cin * cout) throw new AppError('invalid-argument', `${unit.output}: filter size`);
  const out = new Float32Array(src.length);
  const outC = unit.depthwise ? cin * cout : cout;
  const inC = unit.depthwise ? 1 : cin;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          const s = src[((y * kw + x) * cin + i) * cout + o] as number;
          // Depthwise output channel i * m + o, as tfjs orders it.
          const [oc, ic] = unit.depthwise ? [i * cout + o, 0] : [o, i];
          out[((oc * inC + ic) * kh + y) * kw + x] = s;
        }
  return { dims: [outC, inC, kh, kw], data: out };
}

function spatial(size: number, k: number, stride: number, pad: [number, number] | 'same'): number {
  if (pad === 'same') return Math.ceil(size / stride);
  return Math.floor((size + pad[0] + pad[1] - k) / stride) + 1;
}

class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly shapes = new Map<string, Shape>();

  constructor(input: string, shape: Shape) {
    this.shapes.set(input, shape);
  }

  shapeOf(name: string): Shape {
    const s = this.shapes.get(name);
    if (s === undefined) throw new AppError('invalid-argument', `ONNX conversion: ${name} is read before it is made`);
    return s;
  }

  node(opType: string, input: string[], output: string, attribute: NodeMessage['attribute'] = []): void {
    this.nodes.push({ opType, name: `${output}/${opType}`, input, output: [output], attribute });
  }

  set(name: string, shape: Shape): void {
    this.shapes.set(name, shape);
  }

  conv(unit: FoldedConvUnit): void {
    const src = this.shapeOf(unit.input);
    const [kh, kw, cin, mult] = unit.filterShape;
    if (src.c !== cin)
      throw new AppError('invalid-argument', `${unit.output}: ${src.c} channels in, filter has ${cin}`);
    const filter = onnxFilter(unit);
    this.initializers.push(floatTensor(`${unit.output}/W`, filter.dims, filter.data));
    this.initializers.push(floatTensor(`${unit.output}/B`, [unit.bias.length], unit.bias));
    const attrs = [intsAttr('kernel_shape', [kh, kw]), intsAttr('strides', [...unit.strides])];
    if (unit.depthwise) attrs.push(intAttr('group', cin));
    let padH: [number, number] | 'same' = [0, 0];
    let padW: [number, number] | 'same' = [0, 0];
    if (unit.pad === 'same') {
      // TensorFlow's 'same' puts the odd pixel at the end: ONNX's SAME_UPPER.
      attrs.push(stringAttr('auto_pad', 'SAME_UPPER'));
      padH = padW = 'same';
    } else if (unit.pad !== 'valid') {
      [padH, padW] = unit.pad;
      attrs.push(intsAttr('pads', [padH[0], padW[0], padH[1], padW[1]]));
    }
    const convOut = unit.relu6 ? `${unit.output}/conv` : unit.output;
    this.node('Conv', [unit.input, `${unit.output}/W`, `${unit.output}/B`], convOut, attrs);
    if (unit.relu6) this.node('Clip', [convOut, 'relu6/min', 'relu6/max'], unit.output);
    const outC = unit.depthwise ? cin * mult : mult;
    const h = spatial(src.h, kh, unit.strides[0], padH);
    const w = spatial(src.w, kw, unit.strides[1], padW);
    if (h < 1 || w < 1) throw new AppError('invalid-argument', `${unit.output}: input too small`);
    this.set(unit.output, { h, w, c: outC });
  }
}

function inputChannels(graph: FoldedGraph): number {
  const first = graph.units.find((u): u is FoldedConvUnit => u.kind === 'conv' && u.input === graph.input);
  if (first === undefined) throw new AppError('invalid-argument', 'ONNX conversion: no convolution reads the input');
  return first.filterShape[2];
}

function buildGraph(graph: FoldedGraph, options: ConvertOptions): { b: GraphBuilder; nchwInput: string } {
  const nchwInput = `${graph.input}/nchw`;
  const b = new GraphBuilder(nchwInput, { h: options.inputSize, w: options.inputSize, c: inputChannels(graph) });
  b.node('Transpose', [INPUT_NAME], nchwInput, [intsAttr('perm', [0, 3, 1, 2])]);
  b.initializers.push(floatTensor('relu6/min', [], new Float32Array([0])));
  b.initializers.push(floatTensor('relu6/max', [], new Float32Array([6])));
  const rename = (name: string): string => (name === graph.input ? nchwInput : name);
  for (const unit of graph.units) {
    if (unit.kind === 'conv') {
      b.conv({ ...unit, input: rename(unit.input) });
      continue;
    }
    const [x, y] = unit.inputs.map(rename) as [string, string];
    const sx = b.shapeOf(x);
    const sy = b.shapeOf(y);
    if (sx.h !== sy.h || sx.w !== sy.w || sx.c !== sy.c)
      throw new AppError('invalid-argument', `${unit.output}: adds ${x} and ${y} of different shapes`);
    b.node('Add', [x, y], unit.output);
    b.set(unit.output, sx);
  }
  return { b, nchwInput };
}

/** Writes the ONNX model. Throws AppError('invalid-argument') on a graph it cannot express. */
export function convertFoldedGraph(graph: FoldedGraph, options: ConvertOptions): ConvertedModel {
  if (!Number.isInteger(options.inputSize) || options.inputSize < 1)
    throw new AppError('invalid-argument', `ONNX conversion: bad input size ${options.inputSize}`);
  if (options.outputs.length === 0) throw new AppError('invalid-argument', 'ONNX conversion: no outputs');
  const { b } = buildGraph(graph, options);
  const shapes: Record<string, number[]> = {};
  const nhwc = new Map<string, string>();
  const outputs = options.outputs.map((o) => {
    const s = b.shapeOf(o.layer);
    if (o.as === 'map' || o.as === 'map16') {
      // One transpose per layer, shared by its float32 and float16 outputs.
      let t = nhwc.get(o.layer);
      if (t === undefined) {
        t = `${o.layer}/nhwc`;
        b.node('Transpose', [o.layer], t, [intsAttr('perm', [0, 2, 3, 1])]);
        nhwc.set(o.layer, t);
      }
      b.node(o.as === 'map' ? 'Identity' : 'Cast', [t], o.name, o.as === 'map' ? [] : [intAttr('to', DTYPE.FLOAT16)]);
      shapes[o.name] = [s.h, s.w, s.c];
    } else {
      b.node('ReduceMean', [o.layer], o.name, [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]);
      shapes[o.name] = [s.c];
    }
    const dtype = o.as === 'map16' ? DTYPE.FLOAT16 : DTYPE.FLOAT;
    return valueInfo(o.name, dtype, ['batch', ...(shapes[o.name] ?? [])]);
  });
  const c = inputChannels(graph);
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'ssod-audit',
    producerVersion: String(CONVERTER_VERSION),
    docString: `${graph.source.backbone} from ${graph.source.package}, weights sha256 ${graph.source.weightsSha256}`,
    graph: {
      name: graph.source.backbone,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(INPUT_NAME, DTYPE.FLOAT, ['batch', options.inputSize, options.inputSize, c])],
      output: outputs,
    },
  };
  const message = ModelProto.fromObject(model);
  return { bytes: ModelProto.encode(message).finish(), shapes };
}
