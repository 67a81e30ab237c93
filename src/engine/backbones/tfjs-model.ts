// `tfjs:<path-or-URL>[#node]`: any TF.js graph or layers model as a frozen backbone. The node (a layer name
// for layers models, a graph node for graph models) gives the map; its global average is the pooled feature.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { Backbone, FeatureLayout, PreprocessSpec } from '../types.js';
import { readTfjsModel, type TfjsModelFiles } from './tfjs-model-files.js';

export interface TfjsSpec {
  location: string;
  node?: string;
}

export function parseTfjsSpec(spec: string): TfjsSpec {
  const rest = spec.replace(/^tfjs:/, '');
  const hash = rest.lastIndexOf('#');
  const location = hash >= 0 ? rest.slice(0, hash) : rest;
  const node = hash >= 0 ? rest.slice(hash + 1) : undefined;
  if (location === '') throw new AppError('invalid-argument', `"${spec}": expected tfjs:<path-or-URL>[#node]`);
  return node ? { location, node } : { location };
}

export interface TfjsBackboneOptions {
  inputSize?: number;
  cacheDir?: string;
  /** Defaults to pixels/255, squashed. */
  preprocess?: (size: number) => PreprocessSpec;
}

type Runner = (x: tf.Tensor4D) => tf.Tensor;

function isGraphModel(files: TfjsModelFiles): boolean {
  const topology = files.modelJson.modelTopology as { node?: unknown } | undefined;
  return files.modelJson.format === 'graph-model' || Array.isArray(topology?.node);
}

function memoryHandler(files: TfjsModelFiles): tf.io.IOHandler {
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(files.modelJson, () =>
        Promise.resolve([files.weightSpecs, files.weightData] as [tf.io.WeightsManifestEntry[], ArrayBuffer]),
      ),
  };
}

/** [height, width] the model fixes, or nulls; refuses inputs that are not 3-channel images. */
function imageInputShape(
  shape: readonly (number | null | undefined)[] | undefined,
  where: string,
): [number | null, number | null] {
  if (!shape || shape.length !== 4 || (shape[3] !== 3 && shape[3] != null && shape[3] !== -1)) {
    throw new AppError('invalid-argument', `${where}: input shape ${JSON.stringify(shape)} is not [batch, h, w, 3]`);
  }
  const dim = (d: number | null | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
  return [dim(shape[1]), dim(shape[2])];
}

async function layersRunner(
  files: TfjsModelFiles,
  node?: string,
): Promise<{ run: Runner; shape: [number | null, number | null]; dispose: () => void }> {
  const model = await tf.loadLayersModel(memoryHandler(files));
  let target = model;
  if (node !== undefined) {
    const layer = model.layers.find((l) => l.name === node);
    if (layer === undefined) {
      model.dispose();
      throw new AppError(
        'not-found',
        `layer "${node}" not in ${files.source}; layers: ${model.layers.map((l) => l.name).join(', ')}`,
      );
    }
    target = tf.model({ inputs: model.inputs, outputs: layer.output });
  }
  const shape = imageInputShape(model.inputs[0]?.shape, files.source);
  return {
    run: (x) => target.predict(x) as tf.Tensor,
    shape,
    dispose: () => model.dispose(),
  };
}

async function graphRunner(
  files: TfjsModelFiles,
  node?: string,
): Promise<{ run: Runner; shape: [number | null, number | null]; dispose: () => void }> {
  const model = await tf.loadGraphModel(memoryHandler(files));
  const output = node?.replace(/:0$/, '');
  if (output !== undefined) {
    const nodes = (files.modelJson.modelTopology as { node?: { name: string }[] }).node ?? [];
    if (!nodes.some((n) => n.name === output)) {
      model.dispose();
      throw new AppError('not-found', `node "${output}" not in the graph of ${files.source}`);
    }
  }
  const shape = imageInputShape(model.inputs[0]?.shape, files.source);
  return {
    run: (x) => (output !== undefined ? model.execute(x, output) : model.execute(x)) as tf.Tensor,
    shape,
    dispose: () => model.dispose(),
  };
}

export async function loadTfjsBackbone(spec: string, options: TfjsBackboneOptions = {}): Promise<Backbone> {
  const { location, node } = parseTfjsSpec(spec);
  const files = await readTfjsModel(location, options.cacheDir);
  const graph = isGraphModel(files);
  const runner = graph ? await graphRunner(files, node) : await layersRunner(files, node);
  try {
    const [h, w] = runner.shape;
    if (h !== null && w !== null && h !== w) {
      throw new AppError('invalid-argument', `${files.source}: non-square input ${h}x${w} is not supported`);
    }
    if (h !== null && options.inputSize !== undefined && options.inputSize !== h) {
      throw new AppError(
        'invalid-argument',
        `input-shape mismatch: ${files.source} takes ${h}x${w} images, input size ${options.inputSize} was asked`,
      );
    }
    const size = h ?? options.inputSize ?? 224;
    const preprocess = options.preprocess?.(size) ?? {
      size,
      fit: 'squash',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      channels: 3,
    };

    const forward = (x: tf.Tensor4D): [tf.Tensor, tf.Tensor] => {
      const y = runner.run(x);
      if (y.rank === 4) return [y, tf.mean(y, [1, 2])];
      if (y.rank === 2) return [y.reshape([y.shape[0] ?? 1, 1, 1, y.shape[1] ?? 1]), y];
      throw new AppError(
        'invalid-argument',
        `${node ?? 'the output'} of ${files.source} has rank ${y.rank}, expected 4 or 2`,
      );
    };
    const extract = async (pixels: Float32Array, n: number): Promise<{ maps: Float32Array; pooled: Float32Array }> => {
      if (!Number.isInteger(n) || n < 1 || pixels.length !== n * size * size * 3) {
        throw new AppError('invalid-argument', `expected ${n} x ${size} x ${size} x 3 floats`);
      }
      const [map, pooled] = tf.tidy(() => forward(tf.tensor4d(pixels, [n, size, size, 3])));
      try {
        const [m, p] = await Promise.all([map.data(), pooled.data()]);
        return { maps: Float32Array.from(m), pooled: Float32Array.from(p) };
      } finally {
        tf.dispose([map, pooled]);
      }
    };
    const mapShape = tf.tidy(() => forward(tf.zeros([1, size, size, 3]))[0].shape);
    const layout: FeatureLayout = {
      mapH: mapShape[1] ?? 1,
      mapW: mapShape[2] ?? 1,
      mapC: mapShape[3] ?? 1,
      pooledC: mapShape[3] ?? 1,
    };
    const norm = `${preprocess.fit}:${preprocess.mean.join(',')}/${preprocess.std.join(',')}`;
    return {
      key: `tfjs:${files.sha256.slice(0, 24)}:${node ?? ''}:${size}:${norm}`,
      identity: {
        backbone: 'tfjs',
        source: files.source,
        format: graph ? 'graph-model' : 'layers-model',
        weightsSha256: files.sha256,
        node: node ?? '(default output)',
        inputSize: String(size),
      },
      preprocess,
      layout,
      extract,
      dispose: runner.dispose,
    };
  } catch (error) {
    runner.dispose();
    throw error;
  }
}
