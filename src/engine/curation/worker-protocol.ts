// Messages between a caller and the curation worker thread: heavy curation work (duplicate candidates, the map,
// "more like this") reads the cached pooled features and runs off the caller's thread, with progress; a cancel
// ends the thread.
import type { SerializedError } from '../../shared/errors.js';
import type { Progress } from '../types.js';
import type { CandidatePair } from './duplicates.js';
import type { MapOptions } from './embedding-map.js';
import type { Neighbour } from './neighbour-index.js';
import type { FeaturePlace } from './similar-session.js';

/** Feature cache root, the backbone key whose pooled features are read, and the contents to read, one row each
 * (rows are in this order in every answer). */
type FeatureSource = FeaturePlace;

export type CurationRequest =
  | (FeatureSource & { kind: 'near-pairs'; minCosine: number })
  | (FeatureSource & {
      kind: 'map';
      method: 'umap' | 'pca';
      options?: Partial<Omit<MapOptions, 'signal' | 'onProgress'>>;
    })
  /** `query` is any cached content: one of `shas` (then left out of its own answer) or an image from outside. */
  | (FeatureSource & { kind: 'similar'; query: string; k: number });

export type CurationResult =
  | { kind: 'near-pairs'; pairs: CandidatePair[]; missing: number[] }
  | { kind: 'map'; layout: Float32Array; missing: number[] }
  | { kind: 'similar'; neighbours: Neighbour[]; missing: number[] };

export type FromCurationWorker =
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; result: CurationResult }
  | { type: 'error'; error: SerializedError };

/** To the long-lived "more like this" thread (similar-worker.ts). `place` is sent only when `key` names contents
 * the thread may not hold yet (a million names are not copied per query); without it the thread answers
 * `need-place` when it holds other contents. */
export interface SimilarAsk {
  id: number;
  key: string;
  place?: FeaturePlace;
  query: string;
  k: number;
}

export type FromSimilarWorker =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'result'; neighbours: Neighbour[] }
  | { id: number; type: 'need-place' }
  | { id: number; type: 'error'; error: SerializedError };
