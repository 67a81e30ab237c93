// Public API of adapt mode: train the backbone's top with SSOD's loss on cached block-12 maps, then give the
// heads pipeline the adapted features (from the cache or from new images), save and load the adapted weights.
export { trainAdapt } from './train-adapt.js';
export type { AdaptInput, AdaptProgress, AdaptResult } from './train-adapt.js';
export { defaultAdaptConfig, resolveAdaptConfig, TRAINABLE_FROM } from './config.js';
export type { AdaptConfig, TrainableFrom } from './config.js';
export { adaptedFeatureStore, adaptMaps, scoreAdaptedHeads, unprojected } from './adapted-store.js';
export type { AdaptedSource, HeadScore } from './adapted-store.js';
export { adaptedBackbone, loadAdaptedBackbone } from './adapted-backbone.js';
export { adaptedKey, adaptedWeightsSha256, loadAdapted, saveAdapted } from './saved-adapt.js';
export type { AdaptedModel } from './saved-adapt.js';
export { clearCheckpoint } from './checkpoint.js';
export { fitMapProjection } from './map-projection.js';
export type { MapProjection } from './map-projection.js';
export { DifferentiableTop, defaultConvOps } from './differentiable-top.js';
export type { SamplingReport } from './sampler.js';
