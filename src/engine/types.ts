// The contract between the engine's parts: feature extraction (backbones, cache) produces a FeatureStore; the
// SSOD heads train and score on it. Nothing here knows of SQLite, Electron or Svelte.

/** Shape of one image's cached features. The map feeds SSOD's per-position sampling; the pooled vector feeds
 * the CLS head on GAP and the distance baselines (it may come from a different layer than the map). */
export interface FeatureLayout {
  mapH: number;
  mapW: number;
  mapC: number;
  pooledC: number;
}

/** Read access to cached features by row. Rows are dense 0..count-1. Reads are batched so memory stays flat. */
export interface FeatureStore {
  readonly layout: FeatureLayout;
  readonly count: number;
  /** Feature maps of the rows, concatenated row-major: [rows.length, mapH * mapW * mapC], float32. */
  maps(rows: readonly number[]): Promise<Float32Array>;
  /** Pooled features of the rows: [rows.length, pooledC], float32 at full precision. */
  pooled(rows: readonly number[]): Promise<Float32Array>;
  /** Optional: the mean over positions of each row's map, [rows.length, mapC] (a store that keeps rows in memory
   * computes it once, so training does not re-read every map to pool it). */
  mapMeans?(rows: readonly number[]): Promise<Float32Array>;
  /** Optional: maps or pooled features of rows held in memory, written into `out` (rows.length rows) instead of a
   * new array: a trainer reads every row each epoch, and a fresh multi-MB array per batch costs more in page
   * faults than the copy itself. False (and `out` undefined) when some row is not held; the caller then reads. */
  readInto?(kind: 'maps' | 'pooled', rows: readonly number[], out: Float32Array): boolean;
}

/** A training example: a row of the FeatureStore and its class index, or OOD_LABEL for an image a reviewer
 * rejected as out-of-distribution (explicit OOD supervision: all positions and the pooled feature, target 0). */
export interface TrainItem {
  row: number;
  label: number;
  /** Set on an augmented view (a random crop of a training image, see "widen sampling" in docs/ssod.md): the
   * index in the training list of the image it was cut from. It trains the heads wherever its source does (same
   * fold), and is never scored, never held out for validation and never enters the post-hoc scorers' statistics. */
  source?: number;
  /** The image's content hash. When every real item has one, its fold and validation membership follow from it
   * alone (ssod/warm-start.ts), the same in every run, so a retrain can start each fold's model from the previous
   * run's same-fold model without it having seen the fold's held-out images. */
  key?: string;
}
export const OOD_LABEL = -1;

/** One model's weights and input statistics, kept from a run to start the next run's same model from. */
export interface WarmModel {
  arrays: Record<string, Float32Array>;
  mapStats: { mean: Float32Array; std: Float32Array };
  pooledStats: { mean: Float32Array; std: Float32Array };
}

/** A run's models for the next run's warm start: valid only for a run whose fingerprint (classes, layout,
 * folds, seed, variant, fold scheme) is the same. `models[index]`: 0 = all-data, f + 1 = fold f. */
export interface WarmStart {
  fingerprint: string;
  models: Record<number, WarmModel>;
}

export interface HeadsConfig {
  /** SSOD sampling threshold: ID positions c_j >= gamma, OOD positions c_j <= 1 - gamma. */
  gamma: number;
  /** Weight of the OOD-head BCE terms. */
  alpha: number;
  epochs: number;
  warmupEpochs: number;
  batchSize: number;
  learningRate: number;
  folds: number;
  seed: number;
  /** Share of training ID images held out for early stopping and threshold calibration. */
  valFraction: number;
  /** ID pass rate the threshold is calibrated at. */
  idPassRate: number;
  /** Variant knobs (neck width, pooling, ...), recorded in the run. */
  variant: Record<string, string | number | boolean>;
}

export interface Progress {
  phase: string;
  done: number;
  total: number;
  loss?: number;
  message?: string;
}
export type ProgressFn = (p: Progress) => void;

/** One image's result. All scores are OOD scores: higher = more out-of-distribution. */
export interface ImageScore {
  row: number;
  predicted: number;
  /** Top class probabilities (class index, probability), best first, at most 5. */
  top: [number, number][];
  scores: Record<string, number>;
  /** The same scores on one readable scale: per scorer, the share in [0, 1] of held-out ID images (out-of-fold
   * training images) that score lower. A scorer without a held-out sample is absent. */
  calibrated: Record<string, number>;
  /** Per-position ID probability of the OOD head, row-major mapH x mapW. */
  heatmap: number[];
}

export interface LossRecord {
  epoch: number;
  phase: string;
  loss: number;
  valLoss?: number;
}

/** Everything needed to score new rows later; serialisable to disk by the engine host. */
export interface SavedHeads {
  format: 'ssod-heads/1';
  classes: string[];
  layout: FeatureLayout;
  config: HeadsConfig;
  /** JSON-able description of the head weights and the baseline statistics. */
  spec: Record<string, unknown>;
  /** Concatenated float32 weights referenced by `spec`. */
  weights: Float32Array;
}

export interface TrainHeadsResult {
  /** Out-of-fold scores for every train item, and all-data-model scores for `scoreRows`. */
  scores: ImageScore[];
  /** Threshold per scorer, calibrated on held-out ID at config.idPassRate. */
  thresholds: Record<string, number>;
  /** Each threshold on the calibrated scale (an image is flagged when its calibrated score is above it). */
  calibratedThresholds: Record<string, number>;
  defaultScorer: string;
  scorers: string[];
  metrics: Record<string, unknown>;
  lossCurve: LossRecord[];
  model: SavedHeads;
  /** The run's models to warm-start the next retrain from (only when every training item had a key). */
  warm?: WarmStart;
}

/** How an image becomes the backbone's input tensor; recorded in every run. */
export interface PreprocessSpec {
  size: number;
  /** 'squash' resizes to size x size; 'crop' resizes the short side then centre-crops; 'pad' letterboxes. */
  fit: 'squash' | 'crop' | 'pad';
  /** pixel' = (pixel / 255 - mean) / std per channel. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Grey images are replicated to 3 channels; EXIF orientation is always applied. */
  channels: 3;
}

/** A frozen feature extractor. Runs on whatever tfjs backend is active in the calling process. */
export interface Backbone {
  /** Stable key for the feature cache: changes whenever weights, layer or preprocessing change. */
  readonly key: string;
  /** Human-readable identity recorded in runs: package and version, weights sha256, layers. */
  readonly identity: Record<string, string>;
  readonly preprocess: PreprocessSpec;
  readonly layout: FeatureLayout;
  /** pixels: [n, size, size, 3] float32 already preprocessed. Returns maps and pooled, row-major per image. */
  extract(pixels: Float32Array, n: number): Promise<{ maps: Float32Array; pooled: Float32Array }>;
  dispose(): void;
}

/** A convolution with BatchNorm folded in (weights = kernel x BN scale, bias = BN shift), optionally followed by
 * ReLU6. Filters are in tfjs layout: [kh, kw, in, out] (conv) or [kh, kw, in, multiplier] (depthwise). */
export interface FoldedConvUnit {
  kind: 'conv';
  input: string;
  output: string;
  depthwise: boolean;
  strides: [number, number];
  /** 'same', 'valid', or explicit [[top, bottom], [left, right]] (Keras's ZeroPadding2D before a 'valid' conv). */
  pad: 'same' | 'valid' | [[number, number], [number, number]];
  relu6: boolean;
  filterShape: [number, number, number, number];
  filter: Float32Array;
  bias: Float32Array;
}

export interface FoldedAddUnit {
  kind: 'add';
  inputs: [string, string];
  output: string;
}

export type FoldedUnit = FoldedConvUnit | FoldedAddUnit;

/** A folded backbone (or the part of it above some layer) as plain data, in network order. The contract between
 * the backbone, the ONNX converter (extraction runtime) and adapt mode (the trainable top). */
export interface FoldedGraph {
  /** Name of the value the graph reads: the image input, or the layer the graph starts above. */
  input: string;
  units: FoldedUnit[];
  /** Values the graph returns, in order. */
  outputs: string[];
  /** What the weights came from: recorded in runs and in cache keys of converted models. */
  source: { backbone: string; package: string; weightsSha256: string };
}

/** The tfjs backends (training, and extraction when no faster runtime loads). */
export type TfjsBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
/** ONNX Runtime for extraction only: its CPU execution provider (in the default chain), or WebGPU (forced only). */
export type OnnxBackendName = 'onnxruntime' | 'onnxruntime-webgpu';
export type BackendName = TfjsBackendName | OnnxBackendName;

export interface BackendChoice {
  name: BackendName;
  /** Why each faster backend was skipped. */
  skipped: Partial<Record<BackendName, string>>;
  /** Whether convolution gradients are available at useful speed (end-to-end mode). */
  trainsConvolutions: boolean;
}
