// MobileNetV2 (alpha 1.0) from nsfwjs, at any input size, with BatchNormalization folded into the preceding
// (depthwise) convolution. The stock Layers model runs every BatchNormalization and ReLU6 as its own kernel
// (~59 ms/image at 224 on wasm); the folded graph runs one fused conv (bias + relu6) per unit (~27 ms/image)
// and gives the same map up to float rounding (tested).
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { Backbone, FeatureLayout, FoldedUnit, PreprocessSpec } from '../types.js';
import { inboundNames, type KerasLayer, type KerasModelConfig, type KerasTopology } from './keras-config.js';
import { readNsfwjsMobileNetV2, type NsfwjsModelFiles } from './nsfwjs-files.js';

/** 14x14x96 at 224 (37 KB per image at float16): a local map where a position really is a patch. */
export const DEFAULT_MAP_LAYER = 'block_12_add';
/** 7x7x960 at 224, pooled: block 16's expansion separated better than the nsfwjs-tuned `out_relu`. */
export const DEFAULT_POOLED_LAYER = 'block_16_expand_relu';

export type MobileNetVariant = 'folded' | 'stock';

export interface MobileNetV2Options {
  inputSize: number;
  mapLayer?: string;
  pooledLayer?: string;
  variant?: MobileNetVariant;
  /** Defaults to pixels/255, squashed to size x size, as nsfwjs feeds this model. */
  preprocess?: PreprocessSpec;
}

export function mobilenetPreprocess(size: number, fit: PreprocessSpec['fit'] = 'squash'): PreprocessSpec {
  return { size, fit, mean: [0, 0, 0], std: [1, 1, 1], channels: 3 };
}

function modelConfig(files: NsfwjsModelFiles): KerasModelConfig {
  return (files.modelJson.modelTopology as KerasTopology).model_config.config;
}

// ---------------------------------------------------------------------------------------------- folding

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

interface ConvUnit {
  kind: 'conv';
  input: string;
  output: string;
  depthwise: boolean;
  strides: [number, number];
  pad: 'same' | 'valid' | Pad4;
  relu6: boolean;
  /** Folded weights (conv kernel times BN scale) and bias (BN shift), kept alive by the FoldedNet. */
  filter?: tf.Tensor4D;
  bias?: tf.Tensor1D;
  /** Names of the Keras layers this unit replaces (conv, BN, ReLU). */
  layers: string[];
}

interface AddUnit {
  kind: 'add';
  inputs: [string, string];
  output: string;
}

type Unit = ConvUnit | AddUnit;

function pair(value: unknown, what: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw new AppError('invalid-argument', `unsupported ${what}: ${JSON.stringify(value)}`);
}

function zeroPadding(layer: KerasLayer): [[number, number], [number, number]] {
  const p = layer.config['padding'];
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  if (Array.isArray(p) && p.length === 2) {
    const [h, w] = p as unknown[];
    const hh = typeof h === 'number' ? ([h, h] as [number, number]) : pair(h, 'padding');
    const ww = typeof w === 'number' ? ([w, w] as [number, number]) : pair(w, 'padding');
    return [hh, ww];
  }
  throw new AppError('invalid-argument', `unsupported ZeroPadding2D padding in ${layer.name}`);
}

/** Turns the Keras layer list into fused units, stopping at the first layer kind the fused graph does not
 * have (the classifier head). Throws on a pattern it cannot fold rather than guessing. */
export function planUnits(config: KerasModelConfig): { input: string; units: Unit[] } {
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  const consumers = new Map<string, KerasLayer[]>();
  for (const layer of config.layers) {
    for (const src of inboundNames(layer)) consumers.set(src, [...(consumers.get(src) ?? []), layer]);
  }
  const onlyConsumer = (name: string, className: string): KerasLayer | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && c[0]?.class_name === className ? c[0] : undefined;
  };
  const input = config.input_layers[0]?.[0];
  if (input === undefined) throw new AppError('invalid-argument', 'model config has no input layer');
  const pads = new Map<string, { source: string; pad: [[number, number], [number, number]] }>();
  const consumed = new Set<string>([input]);
  const units: Unit[] = [];
  for (const layer of config.layers) {
    if (consumed.has(layer.name)) continue;
    const inputs = inboundNames(layer);
    if (layer.class_name === 'ZeroPadding2D') {
      pads.set(layer.name, { source: inputs[0] ?? '', pad: zeroPadding(layer) });
      continue;
    }
    if (layer.class_name === 'Add' && inputs.length === 2) {
      units.push({ kind: 'add', inputs: [inputs[0] ?? '', inputs[1] ?? ''], output: layer.name });
      continue;
    }
    if (layer.class_name !== 'Conv2D' && layer.class_name !== 'DepthwiseConv2D') break;
    const bn = onlyConsumer(layer.name, 'BatchNormalization');
    if (bn === undefined) throw new AppError('invalid-argument', `cannot fold ${layer.name}: no BatchNormalization`);
    const relu = onlyConsumer(bn.name, 'ReLU');
    const relu6 = relu !== undefined && relu.config['max_value'] === 6 && !relu.config['negative_slope'];
    const dilation = pair(layer.config['dilation_rate'] ?? 1, 'dilation_rate');
    if (dilation[0] !== 1 || dilation[1] !== 1) throw new AppError('invalid-argument', `dilated ${layer.name}`);
    let source = inputs[0] ?? '';
    let pad: ConvUnit['pad'] = layer.config['padding'] === 'same' ? 'same' : 'valid';
    const padding = pads.get(source);
    if (padding !== undefined) {
      if (pad !== 'valid') throw new AppError('invalid-argument', `ZeroPadding2D before a 'same' conv ${layer.name}`);
      pad = [[0, 0], padding.pad[0], padding.pad[1], [0, 0]];
      source = padding.source;
    }
    const layers = [layer.name, bn.name, ...(relu6 && relu ? [relu.name] : [])];
    for (const name of layers) consumed.add(name);
    units.push({
      kind: 'conv',
      input: source,
      output: layers[layers.length - 1] ?? bn.name,
      depthwise: layer.class_name === 'DepthwiseConv2D',
      strides: pair(layer.config['strides'] ?? 1, 'strides'),
      pad,
      relu6,
      layers,
    });
  }
  for (const unit of units) {
    const sources = unit.kind === 'add' ? unit.inputs : [unit.input];
    for (const s of sources) if (!byName.has(s)) throw new AppError('invalid-argument', `unknown layer ${s}`);
  }
  return { input, units };
}

/** Layer names the map or pooled feature can be read from (outputs of fused units: ReLU6 outputs, projections,
 * residual sums), in network order. */
export function mobilenetV2FeatureLayers(): string[] {
  return planUnits(modelConfig(readNsfwjsMobileNetV2())).units.map((u) => u.output);
}

function foldUnit(unit: ConvUnit, weights: tf.NamedTensorMap, config: Map<string, KerasLayer>): void {
  const [convName, bnName] = unit.layers as [string, string];
  const get = (name: string): tf.Tensor => {
    const t = weights[name];
    if (t === undefined) throw new AppError('invalid-argument', `missing weight ${name}`);
    return t;
  };
  const bnConfig = config.get(bnName)?.config ?? {};
  const eps = typeof bnConfig['epsilon'] === 'number' ? bnConfig['epsilon'] : 1e-3;
  const useBias = config.get(convName)?.config['use_bias'] === true;
  const [filter, bias] = tf.tidy(() => {
    const kernel = get(`${convName}/${unit.depthwise ? 'depthwise_kernel' : 'kernel'}`) as tf.Tensor4D;
    const variance = get(`${bnName}/moving_variance`);
    const gamma = bnConfig['scale'] === false ? tf.onesLike(variance) : get(`${bnName}/gamma`);
    const beta = bnConfig['center'] === false ? tf.zerosLike(variance) : get(`${bnName}/beta`);
    const scale = gamma.div(variance.add(eps).sqrt());
    // Depthwise kernels are [kh, kw, in, multiplier]: the BN channel is in * multiplier.
    const shape = kernel.shape;
    const folded = unit.depthwise
      ? kernel.mul(scale.reshape([shape[2], shape[3]]))
      : kernel.mul(scale.reshape([1, 1, 1, shape[3]]));
    const convBias = useBias ? get(`${convName}/bias`) : tf.zerosLike(variance);
    const shift = beta.add(convBias.sub(get(`${bnName}/moving_mean`)).mul(scale));
    return [folded as tf.Tensor4D, shift as tf.Tensor1D];
  });
  unit.filter = tf.keep(filter);
  unit.bias = tf.keep(bias);
}

/** The folded network truncated after the last requested output. */
export class FoldedMobileNetV2 {
  private constructor(
    private readonly input: string,
    private readonly units: Unit[],
    private readonly outputs: string[],
  ) {}

  static create(files: NsfwjsModelFiles, outputs: string[]): FoldedMobileNetV2 {
    const config = modelConfig(files);
    const plan = planUnits(config);
    const last = Math.max(...outputs.map((o) => plan.units.findIndex((u) => u.output === o)));
    for (const o of outputs) {
      if (!plan.units.some((u) => u.output === o)) throw unknownLayer(o);
    }
    const units = plan.units.slice(0, last + 1);
    const weights = tf.io.decodeWeights(files.weightData, files.weightSpecs);
    try {
      const byName = new Map(config.layers.map((l) => [l.name, l]));
      for (const unit of units) if (unit.kind === 'conv') foldUnit(unit, weights, byName);
    } finally {
      tf.dispose(Object.values(weights));
    }
    return new FoldedMobileNetV2(plan.input, units, outputs);
  }

  /** x: [n, size, size, 3]. Returns one tensor per requested output, in order. */
  forward(x: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor4D>([[this.input, x]]);
      const value = (name: string): tf.Tensor4D => {
        const t = values.get(name);
        if (t === undefined) throw new Error(`folded graph: ${name} not computed`);
        return t;
      };
      for (const unit of this.units) {
        if (unit.kind === 'add') {
          values.set(unit.output, tf.add(value(unit.inputs[0]), value(unit.inputs[1])));
          continue;
        }
        const args = {
          x: value(unit.input),
          strides: unit.strides,
          bias: unit.bias,
          activation: unit.relu6 ? ('relu6' as const) : ('linear' as const),
        };
        // Explicit padding (Keras's ZeroPadding2D before a 'valid' stride-2 conv) is supported by every
        // backend's fused kernels through computeConv2DInfo; the depthwise op's type just does not list it.
        const out = unit.depthwise
          ? tf.fused.depthwiseConv2d({ ...args, filter: unit.filter as tf.Tensor4D, pad: unit.pad as 'same' })
          : tf.fused.conv2d({ ...args, filter: unit.filter as tf.Tensor4D, pad: unit.pad });
        values.set(unit.output, out);
      }
      return this.outputs.map(value);
    });
  }

  dispose(): void {
    for (const unit of this.units) if (unit.kind === 'conv') tf.dispose([unit.filter, unit.bias]);
  }
}

/** The folded units up to the last of `outputs`, with weights copied out as float32 arrays (see folded-graph.ts). */
export function foldedUnitsOf(files: NsfwjsModelFiles, outputs: string[]): { input: string; units: FoldedUnit[] } {
  const config = modelConfig(files);
  const plan = planUnits(config);
  for (const o of outputs) if (!plan.units.some((u) => u.output === o)) throw unknownLayer(o);
  const last = Math.max(...outputs.map((o) => plan.units.findIndex((u) => u.output === o)));
  const units = plan.units.slice(0, last + 1);
  const weights = tf.io.decodeWeights(files.weightData, files.weightSpecs);
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  try {
    return {
      input: plan.input,
      units: units.map((unit): FoldedUnit => {
        if (unit.kind === 'add') return { kind: 'add', inputs: [...unit.inputs], output: unit.output };
        foldUnit(unit, weights, byName);
        const filter = unit.filter as tf.Tensor4D;
        const bias = unit.bias as tf.Tensor1D;
        try {
          const pad = unit.pad === 'same' || unit.pad === 'valid' ? unit.pad : ([unit.pad[1], unit.pad[2]] as const);
          return {
            kind: 'conv',
            input: unit.input,
            output: unit.output,
            depthwise: unit.depthwise,
            strides: unit.strides,
            pad: typeof pad === 'string' ? pad : [[...pad[0]], [...pad[1]]],
            relu6: unit.relu6,
            filterShape: filter.shape,
            filter: filter.dataSync() as Float32Array,
            bias: bias.dataSync() as Float32Array,
          };
        } finally {
          tf.dispose([filter, bias]);
        }
      }),
    };
  } finally {
    tf.dispose(Object.values(weights));
  }
}

function unknownLayer(name: string): AppError {
  return new AppError(
    'invalid-argument',
    `unknown MobileNetV2 feature layer "${name}"; candidates: ${mobilenetV2FeatureLayers().join(', ')}`,
  );
}

// ------------------------------------------------------------------------------------------ stock model

/** The stock Keras model rebuilt from its config at another input size, truncated at the requested layers,
 * weights copied by name from the bundled shard (through an in-memory IO handler: no network). */
export async function loadStockMobileNetV2(
  files: NsfwjsModelFiles,
  inputSize: number,
  outputs: string[],
): Promise<tf.LayersModel> {
  const config = modelConfig(files);
  const index = (name: string): number => config.layers.findIndex((l) => l.name === name);
  for (const o of outputs) if (index(o) < 0) throw unknownLayer(o);
  const last = Math.max(...outputs.map(index));
  const layers = config.layers
    .slice(0, last + 1)
    .map((layer) =>
      layer.class_name === 'InputLayer'
        ? { ...layer, config: { ...layer.config, batch_input_shape: [null, inputSize, inputSize, 3] } }
        : layer,
    );
  const topology: KerasTopology = {
    ...(files.modelJson.modelTopology as KerasTopology),
    model_config: {
      class_name: 'Model',
      config: { ...config, layers, output_layers: outputs.map((o) => [o, 0, 0] as [string, number, number]) },
    },
  };
  const used = new Set(layers.map((l) => l.name));
  const handler: tf.io.IOHandler = {
    load: () =>
      Promise.resolve({
        modelTopology: topology,
        weightSpecs: files.weightSpecs,
        weightData: files.weightData,
        format: 'layers-model',
      }),
  };
  const model = await tf.loadLayersModel(handler, { strict: false });
  const missing = model.layers.filter((l) => !used.has(l.name));
  if (missing.length > 0)
    throw new Error(`unexpected layers in the rebuilt model: ${missing.map((l) => l.name).join()}`);
  return model;
}

// ------------------------------------------------------------------------------------------- backbone

export function checkInputSize(size: number): void {
  if (!Number.isInteger(size) || size < 32 || size > 512) {
    throw new AppError('invalid-argument', `input size must be an integer from 32 to 512, got ${size}`);
  }
}

export async function loadMobileNetV2(options: MobileNetV2Options): Promise<Backbone> {
  const { inputSize } = options;
  checkInputSize(inputSize);
  const mapLayer = options.mapLayer ?? DEFAULT_MAP_LAYER;
  const pooledLayer = options.pooledLayer ?? DEFAULT_POOLED_LAYER;
  const variant = options.variant ?? 'folded';
  const preprocess = options.preprocess ?? mobilenetPreprocess(inputSize);
  if (preprocess.size !== inputSize) throw new AppError('invalid-argument', 'preprocess size differs from input size');
  const files = readNsfwjsMobileNetV2();
  const candidates = mobilenetV2FeatureLayers();
  for (const name of [mapLayer, pooledLayer]) if (!candidates.includes(name)) throw unknownLayer(name);
  const outputs = mapLayer === pooledLayer ? [mapLayer] : [mapLayer, pooledLayer];

  let run: (x: tf.Tensor4D) => tf.Tensor4D[];
  let release: () => void;
  if (variant === 'folded') {
    const net = FoldedMobileNetV2.create(files, outputs);
    run = (x) => net.forward(x);
    release = () => net.dispose();
  } else {
    const model = await loadStockMobileNetV2(files, inputSize, outputs);
    run = (x) => {
      const y = model.predict(x);
      return (Array.isArray(y) ? y : [y]) as tf.Tensor4D[];
    };
    release = () => model.dispose();
  }

  const infer = async (pixels: Float32Array, n: number): Promise<{ maps: Float32Array; pooled: Float32Array }> => {
    if (!Number.isInteger(n) || n < 1 || pixels.length !== n * inputSize * inputSize * 3) {
      throw new AppError('invalid-argument', `expected ${n} x ${inputSize} x ${inputSize} x 3 floats`);
    }
    const [map, pooled] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
      const ys = run(tf.tensor4d(pixels, [n, inputSize, inputSize, 3]));
      const m = ys[0] as tf.Tensor4D;
      return [m, tf.mean(ys[ys.length - 1] as tf.Tensor4D, [1, 2])];
    });
    try {
      const [maps, pooledData] = await Promise.all([map.data(), pooled.data()]);
      return { maps: maps as Float32Array, pooled: pooledData as Float32Array };
    } finally {
      tf.dispose([map, pooled]);
    }
  };

  const probe = await infer(new Float32Array(inputSize * inputSize * 3), 1);
  const shapes = tf.tidy(() => run(tf.zeros([1, inputSize, inputSize, 3])).map((t) => t.shape));
  const [, mapH, mapW, mapC] = shapes[0] as number[];
  const layout: FeatureLayout = {
    mapH: mapH ?? 0,
    mapW: mapW ?? 0,
    mapC: mapC ?? 0,
    pooledC: probe.pooled.length,
  };
  const norm = `${preprocess.fit}:${preprocess.mean.join(',')}/${preprocess.std.join(',')}`;
  return {
    key: `mobilenet_v2@nsfwjs-${files.packageVersion}:${files.weightsSha256.slice(0, 16)}:${inputSize}:${mapLayer}:${pooledLayer}:${norm}`,
    identity: {
      backbone: 'mobilenet_v2',
      package: `nsfwjs@${files.packageVersion}`,
      model: 'MobileNetV2 alpha 1.0 (Keras, TF.js Layers)',
      weightsSha256: files.weightsSha256,
      inputSize: String(inputSize),
      mapLayer,
      pooledLayer,
      variant,
    },
    preprocess,
    layout,
    extract: infer,
    dispose: release,
  };
}
