// The benchmarks' one loader for nsfwjs's bundled Keras Layers models (MobileNetV2, InceptionV3): rebuilt at another
// input size, cut below the nsfw classifier and read at intermediate layers in one forward pass. The app's own
// backbone module (src/engine/backbones) folds BatchNormalization; the benchmarks only need the same maps once, so
// they stay independent of that module.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export interface LayerOut {
  name: string;
  h: number;
  w: number;
  c: number;
}

export interface LoadedLayers {
  model: tf.LayersModel;
  outs: LayerOut[];
}

/** One of the model folders nsfwjs ships, and the last layer of its convolutional body. */
export interface NsfwjsBody {
  folder: 'mobilenet_v2' | 'inception_v3';
  lastLayer: string;
}

interface SavedModel {
  modelTopology: { model_config: { config: unknown } };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

interface LayersConfig {
  layers: { name: string; config: { batch_input_shape?: (number | null)[] } }[];
  output_layers: unknown[];
}

export const MOBILENET_V2_BODY: NsfwjsBody = { folder: 'mobilenet_v2', lastLayer: 'out_relu' };
export const INCEPTION_V3_BODY: NsfwjsBody = { folder: 'inception_v3', lastLayer: 'mixed10' };

export function loadMobileNetV2(size: number, layers: string[]): Promise<LoadedLayers> {
  return loadNsfwjsLayers(MOBILENET_V2_BODY, size, layers);
}

export function loadInceptionV3(size: number, layers: string[]): Promise<LoadedLayers> {
  return loadNsfwjsLayers(INCEPTION_V3_BODY, size, layers);
}

export async function loadNsfwjsLayers(body: NsfwjsBody, size: number, layers: string[]): Promise<LoadedLayers> {
  const dir = modelDir(body.folder);
  const saved = require(dir + 'model.min.js') as SavedModel;
  const topology = resizedBody(saved, body.lastLayer, size);
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: saved.weightsManifest.flatMap((g) => g.weights),
      // Weights of the dropped classifier stay in the buffer; the loader skips names it does not need.
      weightData: readShards(dir, saved),
    }),
    { strict: false },
  );
  return readAt(full, layers);
}

/** The package's exports map hides its model files: resolve the package, then read them by absolute path. */
function modelDir(folder: NsfwjsBody['folder']): string {
  const root = join(dirname(require.resolve('nsfwjs')), '../..');
  return join(root, 'dist/models', folder) + '/';
}

/**
 * The saved models are fixed at one input size; their convolutions work at any size, so rebuild the topology with
 * another input and keep only the body: the classifier's Dense weights depend on the saved size.
 */
function resizedBody(saved: SavedModel, lastLayer: string, size: number): SavedModel['modelTopology'] {
  const topology = structuredClone(saved.modelTopology);
  const config = topology.model_config.config as LayersConfig;
  config.layers[0]!.config.batch_input_shape = [null, size, size, 3];
  const cut = config.layers.findIndex((l) => l.name === lastLayer);
  if (cut < 0) throw new Error(`nsfwjs model has no layer ${lastLayer}`);
  config.layers = config.layers.slice(0, cut + 1);
  config.output_layers = [[lastLayer, 0, 0]];
  return topology;
}

/** The shards are shipped as base64 strings in .min.js files, one per manifest path. */
function readShards(dir: string, saved: SavedModel): ArrayBuffer {
  const parts = saved.weightsManifest.flatMap((g) =>
    g.paths.map((p) => Buffer.from(require(`${dir}${p}.min.js`) as string, 'base64')),
  );
  const buf = Buffer.concat(parts);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function readAt(full: tf.LayersModel, layers: string[]): LoadedLayers {
  const outputs = layers.map((n) => full.getLayer(n).output as tf.SymbolicTensor);
  const model = tf.model({ inputs: full.inputs, outputs });
  const outs = outputs.map((o, i) => ({ name: layers[i]!, h: o.shape[1]!, w: o.shape[2]!, c: o.shape[3]! }));
  return { model, outs };
}
