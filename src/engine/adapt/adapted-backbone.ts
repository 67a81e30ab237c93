// New images through the adapted network: the frozen folded MobileNetV2 up to block_12_add, then the trained top.
// Its features equal adaptedFeatureStore over the base cache (same top, same maps), and its key names the adapted
// weights, so the cache never mixes features of two adaptations.
import { loadBackbone } from '../backbones/load-backbone.js';
import { AppError } from '../../shared/errors.js';
import type { Backbone } from '../types.js';
import { adaptMaps } from './adapted-store.js';
import { adaptedKey, loadAdapted, type AdaptedModel } from './saved-adapt.js';

export async function adaptedBackbone(model: AdaptedModel, sha256: string): Promise<Backbone> {
  const preprocess = model.preprocess;
  if (!preprocess) throw new AppError('invalid-argument', 'this adapted model does not record its preprocessing');
  const base = await loadBackbone('mobilenet_v2', {
    inputSize: preprocess.size,
    mapLayer: 'block_12_add',
    pooledLayer: 'block_12_add',
    fit: preprocess.fit,
  });
  const want = model.inputLayout;
  if (base.layout.mapH !== want.mapH || base.layout.mapW !== want.mapW || base.layout.mapC !== want.mapC) {
    base.dispose();
    throw new AppError('invalid-argument', 'the adapted model was trained on maps of another input size');
  }
  return {
    key: adaptedKey(sha256, preprocess),
    identity: { ...base.identity, adaptedWeightsSha256: sha256, adaptedOutput: model.config.output, mode: 'adapt' },
    preprocess,
    layout: model.layout,
    extract: async (pixels, n) => {
      const { maps } = await base.extract(pixels, n);
      return adaptMaps(model.top, maps, n, want, model.projection);
    },
    dispose: () => base.dispose(),
  };
}

export async function loadAdaptedBackbone(jsonPath: string): Promise<Backbone> {
  const { model, sha256 } = await loadAdapted(jsonPath);
  return adaptedBackbone(model, sha256);
}
