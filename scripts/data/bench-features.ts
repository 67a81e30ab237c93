// Feature extraction for the quality benchmark: nsfwjs's bundled MobileNetV2 (Keras Layers model), rebuilt at a
// smaller input size, reading several layers in one forward pass. The app's own backbone module
// (src/engine/backbones) does this with BatchNormalization folded; the benchmark only needs the same maps, once,
// cached on disk under the cache dir, so it stays independent of that module's progress.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export interface LayerOut {
  name: string;
  h: number;
  w: number;
  c: number;
}

export async function loadMobileNetV2(
  size: number,
  layers: string[],
): Promise<{ model: tf.LayersModel; outs: LayerOut[] }> {
  // The package's exports map hides its model files: resolve the package, then read them by absolute path.
  const root = join(dirname(require.resolve('nsfwjs')), '../..');
  const dir = join(root, 'dist/models/mobilenet_v2') + '/';
  const json = require(dir + 'model.min.js') as {
    modelTopology: { model_config: { config: unknown } };
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const shard = require(dir + 'group1-shard1of1.min.js') as string;
  const topology = structuredClone(json.modelTopology);
  // The saved model is fixed at 224: its convolutions work at any size, so rebuild it with another input.
  const config = topology.model_config.config as {
    layers: { name: string; config: { batch_input_shape?: (number | null)[] } }[];
    output_layers: unknown[];
  };
  config.layers[0]!.config.batch_input_shape = [null, size, size, 3];
  // Drop the nsfw classifier on top (its Dense weights depend on the 224 map size).
  const cut = config.layers.findIndex((l) => l.name === 'out_relu');
  config.layers = config.layers.slice(0, cut + 1);
  config.output_layers = [['out_relu', 0, 0]];
  const buf = Buffer.from(shard, 'base64');
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      // weights of dropped layers stay in the buffer; the loader skips names it does not need
      weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    }),
    { strict: false },
  );
  const outputs = layers.map((n) => full.getLayer(n).output as tf.SymbolicTensor);
  const model = tf.model({ inputs: full.inputs, outputs });
  const outs = outputs.map((o, i) => ({ name: layers[i]!, h: o.shape[1]!, w: o.shape[2]!, c: o.shape[3]! }));
  return { model, outs };
}

export interface ExtractedSet {
  n: number;
  /** Per layer: maps [n, h*w*c] (only for layers asked as maps) and GAP [n, c]. */
  maps: Record<string, Float32Array>;
  pooled: Record<string, Float32Array>;
  outs: LayerOut[];
}

/** grey: n images of side*side bytes. Pixels fed as value/255 replicated to RGB, resized bilinearly. */
export async function extractGrey(
  model: tf.LayersModel,
  outs: LayerOut[],
  mapLayers: string[],
  grey: Uint8Array,
  n: number,
  side: number,
  size: number,
  onBatch?: (done: number) => void,
): Promise<ExtractedSet> {
  const maps: Record<string, Float32Array> = {};
  const pooled: Record<string, Float32Array> = {};
  for (const o of outs) {
    pooled[o.name] = new Float32Array(n * o.c);
    if (mapLayers.includes(o.name)) maps[o.name] = new Float32Array(n * o.h * o.w * o.c);
  }
  const bs = 16;
  for (let s = 0; s < n; s += bs) {
    const b = Math.min(bs, n - s);
    const px = new Float32Array(b * side * side);
    for (let i = 0; i < px.length; i++) px[i] = grey[s * side * side + i]! / 255;
    const results = tf.tidy(() => {
      const x = tf.tensor4d(px, [b, side, side, 1]);
      const rgb = tf.image.resizeBilinear(x, [size, size]).tile([1, 1, 1, 3]);
      const ys = model.predict(rgb);
      const arr = Array.isArray(ys) ? ys : [ys];
      return arr.flatMap((y) => [y, y.mean([1, 2])]);
    });
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k]!;
      const m = maps[o.name];
      if (m) m.set(results[2 * k]!.dataSync(), s * o.h * o.w * o.c);
      pooled[o.name]!.set(results[2 * k + 1]!.dataSync(), s * o.c);
    }
    tf.dispose(results);
    onBatch?.(s + b);
  }
  return { n, maps, pooled, outs };
}

/** A tiny on-disk cache: one JSON header and one float32 file per array. */
export function saveSet(dir: string, name: string, set: ExtractedSet, extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const arrays: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(set.maps)) arrays[`map.${k}`] = v;
  for (const [k, v] of Object.entries(set.pooled)) arrays[`pooled.${k}`] = v;
  for (const [k, v] of Object.entries(arrays)) writeFileSync(join(dir, `${name}.${k}.f32`), v);
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ n: set.n, outs: set.outs, arrays: Object.keys(arrays), ...extra }),
  );
}

export function loadSet(dir: string, name: string): (ExtractedSet & { extra: Record<string, unknown> }) | undefined {
  const head = join(dir, `${name}.json`);
  if (!existsSync(head)) return undefined;
  const meta = JSON.parse(readFileSync(head, 'utf8')) as { n: number; outs: LayerOut[]; arrays: string[] } & Record<
    string,
    unknown
  >;
  const maps: Record<string, Float32Array> = {};
  const pooled: Record<string, Float32Array> = {};
  for (const k of meta.arrays) {
    const b = readFileSync(join(dir, `${name}.${k}.f32`));
    const arr = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const [kind, layer] = [k.slice(0, k.indexOf('.')), k.slice(k.indexOf('.') + 1)];
    (kind === 'map' ? maps : pooled)[layer] = arr;
  }
  return { n: meta.n, outs: meta.outs, maps, pooled, extra: meta };
}
