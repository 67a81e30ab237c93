// The folded MobileNetV2 as plain data: the one description of the network that the ONNX converter writes out,
// adapt mode trains (the units above the sampling map), and the tfjs folded graph runs. Weights are float32
// copies with BatchNorm already folded in, so each consumer needs no tfjs tensors and no Keras config.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { FoldedGraph, FoldedUnit } from '../types.js';
import { foldedUnitsOf } from './mobilenet-v2.js';
import { readNsfwjsMobileNetV2 } from './nsfwjs-files.js';

export interface FoldedGraphOptions {
  /** Layers whose outputs the graph must produce; the graph ends at the last of them. */
  outputs: string[];
  /** Keep only the units after this layer (its output becomes the graph's input): adapt mode's trainable top. */
  from?: string;
}

/** The bundled MobileNetV2 folded, as plain arrays. Identity (`weightsSha256`) ties a converted or adapted
 * copy to the exact source weights. */
export function foldedMobileNetV2Graph(options: FoldedGraphOptions): FoldedGraph {
  const files = readNsfwjsMobileNetV2();
  const { input, units } = foldedUnitsOf(files, options.outputs);
  let kept: FoldedUnit[] = units;
  let graphInput = input;
  if (options.from !== undefined) {
    const at = units.findIndex((u) => u.output === options.from);
    if (at < 0) throw new AppError('invalid-argument', `unknown MobileNetV2 layer "${options.from}"`);
    kept = units.slice(at + 1);
    graphInput = options.from;
    const known = new Set([graphInput, ...kept.map((u) => u.output)]);
    for (const u of kept) {
      for (const s of u.kind === 'add' ? u.inputs : [u.input])
        if (!known.has(s))
          throw new AppError(
            'invalid-argument',
            `cannot start at ${options.from}: ${u.output} reads ${s} from below it`,
          );
    }
  }
  return {
    input: graphInput,
    units: kept,
    outputs: [...options.outputs],
    source: { backbone: 'mobilenet_v2', package: `nsfwjs@${files.packageVersion}`, weightsSha256: files.weightsSha256 },
  };
}

/** Runs a plain folded graph with tfjs's fused convolutions (the reference every other runtime is tested against). */
export function runFoldedGraph(graph: FoldedGraph, x: tf.Tensor4D): tf.Tensor4D[] {
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor4D>([[graph.input, x]]);
    const value = (name: string): tf.Tensor4D => {
      const t = values.get(name);
      if (t === undefined) throw new Error(`folded graph: ${name} not computed`);
      return t;
    };
    for (const unit of graph.units) {
      if (unit.kind === 'add') {
        values.set(unit.output, tf.add(value(unit.inputs[0]), value(unit.inputs[1])));
        continue;
      }
      const filter = tf.tensor4d(unit.filter, unit.filterShape);
      const args = {
        x: value(unit.input),
        strides: unit.strides,
        bias: tf.tensor1d(unit.bias),
        activation: unit.relu6 ? ('relu6' as const) : ('linear' as const),
      };
      const pad = unit.pad === 'same' || unit.pad === 'valid' ? unit.pad : [[0, 0], unit.pad[0], unit.pad[1], [0, 0]];
      const out = unit.depthwise
        ? tf.fused.depthwiseConv2d({ ...args, filter, pad: pad as 'same' })
        : tf.fused.conv2d({ ...args, filter, pad: pad as 'same' });
      values.set(unit.output, out);
    }
    return graph.outputs.map(value);
  });
}
