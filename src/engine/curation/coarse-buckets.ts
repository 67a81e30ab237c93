// Coarse buckets for the duplicate search (an inverted-file index): k-means centroids trained on a sample of the
// projected rows, then every row placed in its two nearest buckets, so a pair of close rows shares at least one
// bucket even when it sits near a boundary. The products run on TensorFlow.js (tensor-backend.ts).
import * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace } from '../ssod/rng.js';

export interface Buckets {
  count: number;
  /** Bucket b holds members[start[b] .. start[b + 1]), rows ascending. */
  start: Int32Array;
  members: Int32Array;
  /** 1 where the member is in its nearest bucket (its home), 0 where this is its second. */
  home: Uint8Array;
}

const CHUNK = 4096;
export const COARSE_DIMS = 64;
const SAMPLE_PER_CENTROID = 16;

/** The `k` nearest centroids of each of `rows` points (row-major, `p` wide), nearest first. `centT` is the
 * centroids transposed (p × c): wasm's matMul with a transposed second operand ran eight times slower (measured). */
function nearest(points: Float32Array, rows: number, p: number, centT: tf.Tensor2D, centSq: tf.Tensor, k: number) {
  // 2x·c − |c|² ranks centroids as −|x − c|² does: |x|² is the same for every centroid of a row.
  const top = tf.tidy(() => {
    const score = tf.sub(tf.mul(tf.matMul(tf.tensor2d(points, [rows, p]), centT), 2), centSq);
    const { values, indices } = tf.topk(score, k);
    values.dispose();
    return indices;
  });
  // Read outside tidy, which walks a returned typed array element by element.
  try {
    return top.dataSync() as Int32Array;
  } finally {
    top.dispose();
  }
}

/** The first `c` coordinates of rows of `proj` (rows `p` wide) gathered into one array. Buckets are placed in the
 * COARSE_DIMS strongest directions: at 1,000,000, 16 of 64 cost 18% less CPU but missed 4 of 1,000 planted copies
 * that all 64 found, at the same wall time (docs/benchmarks.md). */
function gather(proj: Float32Array, p: number, rows: ArrayLike<number>, c = Math.min(p, COARSE_DIMS)): Float32Array {
  const out = new Float32Array(rows.length * c);
  for (let i = 0; i < rows.length; i++) out.set(proj.subarray(rows[i]! * p, rows[i]! * p + c), i * c);
  return out;
}

/** Each point's `k` nearest centroids, a chunk of points at a time (k per point, concatenated). */
function nearestAll(points: Float32Array, rows: number, p: number, centroids: Float32Array, k: number): Int32Array {
  const c = centroids.length / p;
  const cent = tf.tidy(() => tf.transpose(tf.tensor2d(centroids, [c, p])));
  const centSq = tf.tidy(() => tf.sum(tf.square(cent), 0));
  const out = new Int32Array(rows * k);
  try {
    for (let s = 0; s < rows; s += CHUNK) {
      const e = Math.min(rows, s + CHUNK);
      out.set(nearest(points.subarray(s * p, e * p), e - s, p, cent, centSq, k), s * k);
    }
  } finally {
    cent.dispose();
    centSq.dispose();
  }
  return out;
}

/** `count` k-means centroids (COARSE_DIMS wide) of the eligible rows (Lloyd's iterations on a sample; an emptied centroid is
 * re-seeded with a random sample point). */
export function trainCentroids(
  proj: Float32Array,
  p: number,
  eligible: readonly number[],
  count: number,
  o: { iterations?: number; seed?: number } = {},
): Float32Array {
  const rng = createRng(o.seed ?? 7);
  const picked = shuffleInPlace([...eligible], rng).slice(0, Math.max(count, count * SAMPLE_PER_CENTROID));
  const sample = gather(proj, p, picked);
  const n = picked.length;
  const c = Math.min(count, n);
  const w = Math.min(p, COARSE_DIMS);
  const centroids = sample.slice(0, c * w);
  for (let it = 0; it < (o.iterations ?? 6); it++) {
    const assign = nearestAll(sample, n, w, centroids, 1);
    const sums = new Float64Array(c * w);
    const counts = new Int32Array(c);
    for (let i = 0; i < n; i++) {
      const b = assign[i]!;
      counts[b]!++;
      for (let j = 0; j < w; j++) sums[b * w + j] = sums[b * w + j]! + sample[i * w + j]!;
    }
    for (let b = 0; b < c; b++) {
      if (counts[b] === 0) {
        const r = Math.floor(rng() * n);
        centroids.set(sample.subarray(r * w, (r + 1) * w), b * w);
        continue;
      }
      for (let j = 0; j < w; j++) centroids[b * w + j] = sums[b * w + j]! / counts[b]!;
    }
  }
  return centroids;
}

/** Every eligible row in its `probes` nearest buckets. */
export function assignBuckets(
  proj: Float32Array,
  p: number,
  eligible: readonly number[],
  centroids: Float32Array,
  o: { probes?: number; onProgress?: (done: number, total: number) => void } = {},
): Buckets {
  const c = Math.min(p, COARSE_DIMS);
  const count = centroids.length / c;
  const probes = Math.min(o.probes ?? 2, count);
  const near = new Int32Array(eligible.length * probes);
  for (let s = 0; s < eligible.length; s += CHUNK * 4) {
    const rows = eligible.slice(s, s + CHUNK * 4);
    near.set(nearestAll(gather(proj, p, rows, c), rows.length, c, centroids, probes), s * probes);
    o.onProgress?.(s + rows.length, eligible.length);
  }
  const start = new Int32Array(count + 1);
  for (const b of near) start[b + 1]!++;
  for (let b = 0; b < count; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, count);
  const members = new Int32Array(near.length);
  const home = new Uint8Array(near.length);
  // Rows go in ascending order, so each bucket's members come out ascending.
  for (let i = 0; i < eligible.length; i++) {
    for (let q = 0; q < probes; q++) {
      const at = fill[near[i * probes + q]!]!++;
      members[at] = eligible[i]!;
      home[at] = q === 0 ? 1 : 0;
    }
  }
  return { count, start, members, home };
}
