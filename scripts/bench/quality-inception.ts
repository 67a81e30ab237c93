// The backbones the quality benchmark can read (--backbone): MobileNetV2, and nsfwjs's bundled InceptionV3 (six weight
// shards) as the rival it is measured against; both come from the one nsfwjs loader, read at intermediate layers.
import type * as tf from '@tensorflow/tfjs';
import { loadInceptionV3, loadMobileNetV2, type LayerOut } from '../data/nsfwjs-layers.js';

/** What the sets' extraction calls: a Layers model, or a graph model read at some nodes (quality-backbones.ts). */
export interface BenchFeatureModel {
  model: Pick<tf.LayersModel, 'predict'>;
  outs: LayerOut[];
}

export interface BenchBackbone {
  /** Cache key and table label. */
  key: string;
  mapLayer: string;
  pooledLayer: string;
  load(size: number): Promise<BenchFeatureModel>;
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
