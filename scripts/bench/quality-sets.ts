// The quality benchmark's data sets, one shape for all: named splits of cached MobileNetV2 features (train, then
// validation and test ID / near-OOD / far-OOD), the ID classes, and where the images come from.
import type { ExtractedSet } from '../data/bench-features.js';

export const SPLITS = ['train', 'val-id', 'val-near', 'val-far', 'test-id', 'test-near', 'test-far'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface FeatureSet extends ExtractedSet {
  name: string;
  /** Class index per image; -1 for OOD. */
  labels: Int32Array;
}

export interface BenchSet {
  /** Short name used on the command line and in the tables. */
  id: string;
  title: string;
  classes: string[];
  /** One line per split: what the images are (for the docs). */
  describe: string;
  splits: FeatureSet[];
  /** The layers the splits hold: the sampling map and the pooled feature. */
  mapLayer: string;
  pooledLayer: string;
}
