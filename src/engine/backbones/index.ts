// Public surface of the backbones: what the engine host and the benchmarks import.
export { chooseInputSize, DEFAULT_BACKBONE, INPUT_SIZES, loadBackbone, preprocessSpecFor } from './load-backbone.js';
export type { LoadBackboneOptions } from './load-backbone.js';
export { DEFAULT_MAP_LAYER, DEFAULT_POOLED_LAYER, mobilenetV2FeatureLayers } from './mobilenet-v2.js';
export { decodeBatchForBackbone, decodeForBackbone, decodeRgb, normaliseInto } from './preprocess.js';
export { assertEndToEndAllowed, buildSmallCnn, trainEndToEnd } from './small-cnn.js';
export type { EndToEndData, EndToEndOptions, EndToEndResult } from './small-cnn.js';
export { foldedMobileNetV2Graph, runFoldedGraph } from './folded-graph.js';
export type { FoldedGraphOptions } from './folded-graph.js';
