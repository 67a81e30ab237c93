// Near-duplicate candidates at scale without a graph: one pass over the source keeps every row as int8 (int8-rows.ts)
// and a sample for principal directions; every row is projected on them (a few tens of dimensions instead of
// hundreds); k-means buckets split the projected rows (coarse-buckets.ts), each row in its two nearest; inside each
// bucket one matrix product finds each row's k nearest, and a pair goes on when its projected distance and its int8
// cosine both allow the threshold. The caller re-scores the survivors exactly. Every product is a dense matMul in
// TensorFlow.js, which is what makes this cheaper than a graph walk that reads 960-byte vectors at random.
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { AppError, deserializeError } from '../../shared/errors.js';
import type { ProgressFn } from '../types.js';
import { readOut, searchBuckets, toPairs, type BucketSpace } from './bucket-pairs.js';
import type { BucketJob, FromBucketWorker } from './bucket-worker-protocol.js';
import { assignBuckets, trainCentroids, type Buckets } from './coarse-buckets.js';
import { Int8Rows } from './int8-rows.js';
import type { PooledSource } from './pooled-source.js';
import { principalBasis, type Basis } from './subspace.js';
import { ensureTensorBackend } from './tensor-backend.js';
import type { Matrix } from './vectors.js';
import { spawnCurationThread } from './worker-spawn.js';

export interface BucketSearchOptions {
  /** Nearest rows kept per row and bucket. */
  k?: number;
  /** Principal directions the rows are projected on. */
  dims?: number;
  /** Buckets (default: 4√n: placing a row costs one score per bucket, searching a bucket of s rows s², and
   * k-means cells came out about three times less even than equal (sum of s² over buckets, measured at 100,000),
   * which moves the balance to more, smaller buckets). */
  buckets?: number;
  chunkRows?: number;
  /** Threads searching the buckets (default: two where there are two cores; the second is a worker thread that
   * reads the rows from shared memory). */
  threads?: number;
  seed?: number;
  onProgress?: ProgressFn;
}

const SAMPLE_ROWS = 4000;
const BLOCK = 4096;

/** Pass 1: every present row as int8, the present rows' numbers, and an evenly spread float32 sample. */
async function readQuantised(source: PooledSource, chunkRows: number, shared: boolean, onProgress?: ProgressFn) {
  const d = source.cols;
  const rows = new Int8Rows(source.rows, d, shared);
  const eligible: number[] = [];
  const stride = Math.max(1, Math.floor((source.rows - source.missing.length) / SAMPLE_ROWS));
  const sample: number[] = [];
  const sampleData = new Float32Array((SAMPLE_ROWS + 1) * d);
  for await (const c of source.chunks(chunkRows)) {
    for (let k = 0; k < c.m.rows; k++) {
      if (!c.present[k]) continue;
      rows.put(c.start + k, c.m.data, k * d);
      if (eligible.length % stride === 0 && sample.length <= SAMPLE_ROWS) {
        sampleData.set(c.m.data.subarray(k * d, (k + 1) * d), sample.length * d);
        sample.push(c.start + k);
      }
      eligible.push(c.start + k);
    }
    onProgress?.({ phase: 'read-features', done: c.start + c.m.rows, total: source.rows });
  }
  const m: Matrix = { data: sampleData.subarray(0, sample.length * d), rows: sample.length, cols: d };
  return { rows, eligible, sample: m };
}

/** Every row, centred, in the basis's coordinates (n × k), from the int8 rows. */
function projectAll(rows: Int8Rows, basis: Basis, shared: boolean, onProgress?: ProgressFn): Float32Array {
  const { d, k } = basis;
  const out = shared ? new Float32Array(new SharedArrayBuffer(rows.rows * k * 4)) : new Float32Array(rows.rows * k);
  // Transposed once (d × k): wasm's matMul with a transposed second operand ran eight times slower (measured).
  const dirs = tf.tidy(() => tf.transpose(tf.tensor2d(Float32Array.from(basis.dirs), [k, d])));
  const offset = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(basis.mean), [1, d]), dirs));
  const buf = new Float32Array(BLOCK * d);
  try {
    for (let s = 0; s < rows.rows; s += BLOCK) {
      const n = Math.min(BLOCK, rows.rows - s);
      rows.readInto(s, n, buf);
      out.set(
        readOut(() => tf.sub(tf.matMul(tf.tensor2d(buf.subarray(0, n * d), [n, d]), dirs), offset)),
        s * k,
      );
      onProgress?.({ phase: 'project', done: s + n, total: rows.rows });
    }
  } finally {
    dirs.dispose();
    offset.dispose();
  }
  return out;
}

/** The other half of the buckets on a helper thread: its pairs as keys, when it answers. */
function helperSearch(job: BucketJob): Promise<Float64Array> {
  return new Promise((resolve, reject) => {
    const worker = spawnCurationThread('bucket-worker', job);
    const done = (fn: () => void): void => {
      fn();
      void worker.terminate();
    };
    worker.on('message', (msg: FromBucketWorker) => {
      if (msg.type === 'result') done(() => resolve(msg.keys));
      else if (msg.type === 'error') done(() => reject(deserializeError(msg.error)));
    });
    worker.on('error', (e) => done(() => reject(new AppError('engine-failed', `bucket worker: ${e.message}`))));
    worker.on('exit', (code) => reject(new AppError('engine-failed', `bucket worker exited with code ${code}`)));
  });
}

/** Every bucket's pairs, split over `threads` threads (this one and helpers) by bucket number. */
async function searchAll(
  buckets: Buckets,
  space: BucketSpace,
  threads: number,
  onProgress?: ProgressFn,
): Promise<Set<number>> {
  const found = new Set<number>();
  const depth = 2;
  const onBucket = (done: number, total: number): void => onProgress?.({ phase: 'neighbours', done, total });
  const parts = Math.max(1, Math.min(threads, buckets.count));
  const { rows, radius2, floor } = space.filter;
  const helpers = Array.from({ length: parts - 1 }, (_, h) =>
    helperSearch({ ...space, rows: rows.handle(), filter: { radius2, floor }, buckets, depth, part: h + 1, parts }),
  );
  searchBuckets(buckets, space, found, depth, { pick: (b) => b % parts === 0, onBucket });
  for (const keys of await Promise.all(helpers)) for (const key of keys) found.add(key);
  return found;
}

/** Pairs (a < b) of present rows whose int8 cosine is at least `floor`, found through the buckets. */
export async function bucketCandidates(
  source: PooledSource,
  floor: number,
  o: BucketSearchOptions = {},
): Promise<{ a: number; b: number }[]> {
  const backend = ensureTensorBackend();
  const threads = o.threads ?? Math.min(2, availableParallelism());
  const shared = threads > 1;
  const { rows, eligible, sample } = await readQuantised(source, o.chunkRows ?? 8192, shared, o.onProgress);
  await backend;
  const basis = principalBasis(sample, o.dims ?? 64, { sampleRows: sample.rows, seed: o.seed ?? 1 });
  const proj = projectAll(rows, basis, shared, o.onProgress);
  const count = Math.max(1, Math.min(eligible.length, o.buckets ?? Math.ceil(4 * Math.sqrt(eligible.length))));
  const centroids = trainCentroids(proj, basis.k, eligible, count, { seed: o.seed ?? 7 });
  const buckets = assignBuckets(proj, basis.k, eligible, centroids, {
    onProgress: (done, total) => o.onProgress?.({ phase: 'buckets', done, total }),
  });
  // Slack for the int8 rows the projection was computed from.
  const radius2 = 2 * (1 - floor) + 0.02;
  const space = { proj, p: basis.k, k: o.k ?? 8, filter: { rows, radius2, floor } };
  return toPairs(await searchAll(buckets, space, threads, o.onProgress), rows.rows);
}
