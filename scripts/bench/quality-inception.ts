// nsfwjs's bundled InceptionV3 (Keras Layers model, six weight shards), rebuilt at another input size and read at
// intermediate layers: the rival backbone the quality benchmark measures against MobileNetV2 (--backbone inception).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMobileNetV2, type LayerOut } from '../data/bench-features.js';

const require = createRequire(import.meta.url);

export interface BenchBackbone {
  /** Cache key and table label. */
  key: string;
  mapLayer: string;
  pooledLayer: string;
  load(size: number): Promise<{ model: tf.LayersModel; outs: LayerOut[] }>;
}

export const MOBILENET_V2: BenchBackbone = {
  key: 'mobilenet_v2',
  mapLayer: 'block_12_add',
  pooledLayer: 'block_16_expand_relu',
  load: (size) => loadMobileNetV2(size, ['block_12_add', 'block_16_expand_relu']),
};

/** mixed7 is the last 17x17 block at 299 (8x8 at 160); mixed10's 2048 channels are the network's pooled feature. */
export const INCEPTION_V3: BenchBackbone = {
  key: 'inception_v3',
  mapLayer: 'mixed7',
  pooledLayer: 'mixed10',
  load: (size) => loadInceptionV3(size, ['mixed7', 'mixed10']),
};

export async function loadInceptionV3(
  size: number,
  layers: string[],
): Promise<{ model: tf.LayersModel; outs: LayerOut[] }> {
  const root = join(dirname(require.resolve('nsfwjs')), '../..');
  const dir = join(root, 'dist/models/inception_v3') + '/';
  const json = require(dir + 'model.min.js') as {
    modelTopology: { model_config: { config: unknown } };
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const topology = structuredClone(json.modelTopology);
  const config = topology.model_config.config as {
    layers: { name: string; config: { batch_input_shape?: (number | null)[] } }[];
    output_layers: unknown[];
  };
  config.layers[0]!.config.batch_input_shape = [null, size, size, 3];
  // Keep the convolutional body: the classifier's Dense weights depend on the 299 input.
  const cut = config.layers.findIndex((l) => l.name === 'mixed10');
  config.layers = config.layers.slice(0, cut + 1);
  config.output_layers = [['mixed10', 0, 0]];
  const parts = json.weightsManifest[0]!.paths.map((p) =>
    Buffer.from(require(`${dir}${p}.min.js`) as string, 'base64'),
  );
  const buf = Buffer.concat(parts);
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    }),
    { strict: false },
  );
  const outputs = layers.map((n) => full.getLayer(n).output as tf.SymbolicTensor);
  const model = tf.model({ inputs: full.inputs, outputs });
  const outs = outputs.map((o, i) => ({ name: layers[i]!, h: o.shape[1]!, w: o.shape[2]!, c: o.shape[3]! }));
  return { model, outs };
}
