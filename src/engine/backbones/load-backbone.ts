// The one entry point for backbones: `mobilenet_v2` (default, bundled, offline), `small-cnn`, and
// `tfjs:<path-or-URL>[#node]`. Input size adapts to the data unless given.
import { AppError } from '../../shared/errors.js';
import type { Backbone, PreprocessSpec } from '../types.js';
import { loadMobileNetV2, mobilenetPreprocess, type MobileNetVariant } from './mobilenet-v2.js';
import { buildSmallCnn, smallCnnBackbone, smallCnnInputSize, smallCnnPreprocess } from './small-cnn.js';
import { loadTfjsBackbone } from './tfjs-model.js';

export const DEFAULT_BACKBONE = 'mobilenet_v2';
export const INPUT_SIZES = [96, 128, 160, 224] as const;

export interface LoadBackboneOptions {
  inputSize?: number;
  /** mobilenet_v2 only: layer of the map (see mobilenetV2FeatureLayers()). */
  mapLayer?: string;
  /** mobilenet_v2 only: layer whose global average is the pooled feature. */
  pooledLayer?: string;
  /** Where `tfjs:` URLs are downloaded to (once). */
  cacheDir?: string;
  /** mobilenet_v2 only: 'folded' (default, fast) or 'stock' (the Layers model, for checks and benchmarks). */
  variant?: MobileNetVariant;
  /** small-cnn only: weight initialisation seed. */
  seed?: number;
  fit?: PreprocessSpec['fit'];
}

/** Pretrained input size for data whose median side is `medianSide`: the smallest of 96/128/160/224 that does
 * not shrink the images, so 28x28 data runs at 96 instead of being upscaled 8x to 224 (and 5x faster). */
export function chooseInputSize(medianSide: number): number {
  if (!Number.isFinite(medianSide) || medianSide <= 0) return 224;
  return INPUT_SIZES.find((s) => s >= medianSide) ?? 224;
}

type Kind = 'mobilenet_v2' | 'small-cnn' | 'tfjs';

function kindOf(spec: string): Kind {
  if (spec === 'mobilenet_v2' || spec === 'small-cnn') return spec;
  if (spec.startsWith('tfjs:')) return 'tfjs';
  throw new AppError(
    'invalid-argument',
    `unknown backbone "${spec}": expected mobilenet_v2, small-cnn or tfjs:<path-or-URL>[#node]`,
  );
}

/** The preprocessing a backbone will use on data with this median side (recorded in the run). For `tfjs:`
 * models with a fixed input, loadBackbone's returned spec is authoritative. */
export function preprocessSpecFor(
  spec: string,
  dataMedianSide: number,
  options: LoadBackboneOptions = {},
): PreprocessSpec {
  const kind = kindOf(spec);
  const fit = options.fit ?? 'squash';
  if (kind === 'small-cnn')
    return { ...smallCnnPreprocess(options.inputSize ?? smallCnnInputSize(dataMedianSide)), fit };
  return mobilenetPreprocess(options.inputSize ?? chooseInputSize(dataMedianSide), fit);
}

export async function loadBackbone(
  spec: string = DEFAULT_BACKBONE,
  options: LoadBackboneOptions = {},
): Promise<Backbone> {
  const kind = kindOf(spec);
  const fit = options.fit ?? 'squash';
  if (kind !== 'mobilenet_v2' && (options.mapLayer !== undefined || options.pooledLayer !== undefined)) {
    throw new AppError('invalid-argument', `mapLayer/pooledLayer apply to mobilenet_v2; for tfjs: models use #node`);
  }
  switch (kind) {
    case 'mobilenet_v2': {
      const inputSize = options.inputSize ?? 224;
      return loadMobileNetV2({
        inputSize,
        preprocess: mobilenetPreprocess(inputSize, fit),
        ...(options.mapLayer !== undefined ? { mapLayer: options.mapLayer } : {}),
        ...(options.pooledLayer !== undefined ? { pooledLayer: options.pooledLayer } : {}),
        ...(options.variant !== undefined ? { variant: options.variant } : {}),
      });
    }
    case 'small-cnn': {
      const seed = options.seed ?? 1;
      return smallCnnBackbone(buildSmallCnn({ inputSize: options.inputSize ?? 32, seed }), seed, fit);
    }
    case 'tfjs':
      return loadTfjsBackbone(spec, {
        ...(options.inputSize !== undefined ? { inputSize: options.inputSize } : {}),
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        preprocess: (size) => mobilenetPreprocess(size, fit),
      });
  }
}
