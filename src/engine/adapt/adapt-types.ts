// The inputs and results of an adapt run, in their own module so the epoch loop and the saved-model code can
// name them without importing the trainer (which imports them).
import type { FeatureLayout, FeatureStore, FoldedGraph, LossRecord, TrainItem } from '../types.js';
import type { HeadWeights } from './adapt-heads.js';
import type { AdaptConfig } from './config.js';
import type { SamplingReport } from './sampler.js';
import type { MapProjection } from './map-projection.js';

export interface AdaptProgress {
  phase: 'prepare' | 'warm-up' | 'sample' | 'train' | 'validate' | 'checkpoint';
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  loss?: number;
  /** Seconds left for the whole run, from the epochs timed so far. */
  etaSeconds?: number;
}

export interface AdaptInput {
  /** Cached block-12 maps (the backbone's sampling map). */
  features: FeatureStore;
  classes: string[];
  /** label = class index or OOD_LABEL (a reviewer's rejection: all its positions are OOD, no CE). */
  train: TrainItem[];
  config?: Partial<AdaptConfig>;
  /** The folded top to start from (default: the bundled MobileNetV2 above block_12_add). */
  top?: FoldedGraph;
  /** Where the per-epoch checkpoint lives; a run with the same data and config resumes from it. */
  checkpointDir?: string;
  onProgress?: (p: AdaptProgress) => void;
  signal?: AbortSignal;
  /** Seconds the training (preparation, warm-up and joint epochs) may take: no joint epoch starts that, going by
   * the last one's duration, would end after it; at least one always runs. Not part of the checkpoint's identity. */
  budgetSeconds?: number;
  /** Memory the frozen blocks' outputs may take when held once per image (default FROZEN_CACHE_MAX_BYTES); 0 runs
   * the frozen blocks on every pass instead (same result, slower: what the benchmark compares against). */
  frozenCacheMaxBytes?: number;
}

export interface AdaptResult {
  format: 'ssod-adapt/1';
  /** The whole top with the trained weights (frozen blocks unchanged): block-12 map -> adapted map. */
  top: FoldedGraph;
  heads: HeadWeights;
  classes: string[];
  config: AdaptConfig;
  /** Layout of the block-12 maps it reads and of the adapted features it gives (pooled = mean of the map; with a
   * projection, the projected map's channels). */
  inputLayout: FeatureLayout;
  layout: FeatureLayout;
  /** The adapted map's dominant channels (config.mapChannels), fitted on the training images with the trained top. */
  projection?: MapProjection;
  epochsRun: number;
  bestEpoch: number;
  /** 'budget': the next epoch would have ended after AdaptInput.budgetSeconds. */
  stopReason: 'epochs' | 'early-stop' | 'budget';
  resumedFromEpoch?: number;
  lossCurve: LossRecord[];
  sampling: SamplingReport[];
  valAccuracy?: number;
  /** The same with the pretrained top (after warm-up): adapting should not lose ID accuracy. */
  valAccuracyBefore?: number;
  warnings: string[];
  seconds: number;
  secondsPerEpoch: number[];
  /** Feature rows of the ID images held out for early stopping: the top never trained on them, so they are the
   * ID side of an honest comparison between adapted and pretrained features. */
  heldOutRows: number[];
}
