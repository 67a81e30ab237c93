// Messages between the duplicate search and its helper thread (bucket-worker.ts).
import type { SerializedError } from '../../shared/errors.js';
import type { Buckets } from './coarse-buckets.js';
import type { Int8RowsHandle } from './int8-rows.js';

export interface BucketJob {
  rows: Int8RowsHandle;
  /** Projected rows in shared memory. */
  proj: Float32Array;
  p: number;
  k: number;
  filter: { radius2: number; floor: number };
  buckets: Buckets;
  depth: number;
  /** This thread takes the buckets b with b % parts === part. */
  part: number;
  parts: number;
}

export type FromBucketWorker =
  | { type: 'progress'; done: number }
  | { type: 'result'; keys: Float64Array }
  | { type: 'error'; error: SerializedError };
