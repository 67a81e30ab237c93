// Inside the duplicate search's buckets (bucket-search.ts): each bucket's rows against each other in one matrix
// product, each row's k nearest kept, and a pair passed on when its projected distance and its int8 cosine both
// allow the threshold. Run by the search's own thread and by its helper thread (bucket-worker.ts), each taking every
// other bucket.
import * as tf from '@tensorflow/tfjs';
import { assignBuckets, trainCentroids, type Buckets } from './coarse-buckets.js';
import type { Int8Rows } from './int8-rows.js';

const BLOCK = 4096;

/** The values of the tensor `f` makes, its intermediates freed. The typed array is read outside tidy: tidy walks
 * whatever its function returns element by element looking for tensors (measured: 200 ms for 250,000 values). */
export function readOut<T extends tf.Tensor>(f: () => T): Float32Array | Int32Array {
  const t = tf.tidy(f);
  try {
    return t.dataSync() as Float32Array | Int32Array;
  } finally {
    t.dispose();
  }
}

/** The points of a block as the left operand [x | 1] and the others as the right one [2c ; −|c|²] (transposed
 * here, since wasm's matMul with a transposed operand ran eight times slower): one product is then 2x·c − |c|² =
 * |x|² − |x − c|², which ranks each row's neighbours with no further tensor op (measured: the separate scale,
 * subtract and topk cost twice the product). */
function operands(x: Float32Array, from: number, to: number, p: number, sq: Float32Array) {
  const n = to - from;
  const left = new Float32Array(n * (p + 1));
  const right = new Float32Array((p + 1) * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      left[i * (p + 1) + j] = x[(from + i) * p + j]!;
      right[j * n + i] = 2 * x[(from + i) * p + j]!;
    }
    left[i * (p + 1) + p] = 1;
    right[p * n + i] = -sq[from + i]!;
  }
  return { left, right };
}

/** For each query point (local indices into the `s` points, row-major, `p` wide): its `kk` nearest among all s by
 * squared distance (itself included), as local indices and squared distances; blocks of BLOCK keep each product
 * bounded. */
function localNearest(x: Float32Array, s: number, p: number, kk: number, queries: Int32Array) {
  const sq = new Float32Array(s);
  for (let i = 0; i < s; i++) {
    let a = 0;
    for (let j = 0; j < p; j++) a += x[i * p + j]! ** 2;
    sq[i] = a;
  }
  const qx = new Float32Array(queries.length * p);
  const qsq = new Float32Array(queries.length);
  queries.forEach((r, i) => {
    qx.set(x.subarray(r * p, (r + 1) * p), i * p);
    qsq[i] = sq[r]!;
  });
  const nq = queries.length;
  const idx = new Int32Array(nq * kk).fill(-1);
  const d2 = new Float32Array(nq * kk).fill(Infinity);
  for (let cb = 0; cb < s; cb += BLOCK) {
    const ce = Math.min(s, cb + BLOCK);
    const right = operands(x, cb, ce, p, sq).right;
    for (let qb = 0; qb < nq; qb += BLOCK) {
      const qe = Math.min(nq, qb + BLOCK);
      const left = operands(qx, qb, qe, p, qsq).left;
      const score = readOut(() => tf.matMul(tf.tensor2d(left, [qe - qb, p + 1]), tf.tensor2d(right, [p + 1, ce - cb])));
      scanBlock(score, { qb, qe, cb, w: ce - cb, kk }, qsq, idx, d2);
    }
  }
  return { idx, d2 };
}

/** Each query row's nearest of one block of scores (|x|² − score is the squared distance), merged into its list. */
function scanBlock(
  score: Float32Array | Int32Array,
  b: { qb: number; qe: number; cb: number; w: number; kk: number },
  qsq: Float32Array,
  idx: Int32Array,
  d2: Float32Array,
): void {
  const { qb, qe, cb, w, kk } = b;
  for (let i = qb; i < qe; i++) {
    const o = (i - qb) * w;
    const at = i * kk;
    const own = qsq[i]!;
    let worst = d2[at + kk - 1]!;
    for (let j = 0; j < w; j++) {
      // Most candidates fail this one comparison.
      const v = own - score[o + j]!;
      if (v < worst) {
        mergeInto(idx, d2, at, kk, cb + j, v);
        worst = d2[at + kk - 1]!;
      }
    }
  }
}

/** Inserts (j, v) into the sorted list at `at` (kk long, ascending distance) when it is among the kk nearest. */
function mergeInto(idx: Int32Array, d2: Float32Array, at: number, kk: number, j: number, v: number): void {
  if (v >= d2[at + kk - 1]!) return;
  let t = at + kk - 1;
  while (t > at && d2[t - 1]! > v) {
    d2[t] = d2[t - 1]!;
    idx[t] = idx[t - 1]!;
    t--;
  }
  d2[t] = v;
  idx[t] = j;
}

export interface PairFilter {
  rows: Int8Rows;
  /** Largest squared projected distance a pair at the floor can have (a projection never lengthens a difference). */
  radius2: number;
  floor: number;
}

/** Pairs (lo * n + hi) of one bucket that pass both filters, added to `out`. Only the members at home here ask
 * for their nearest (each row asks once, in its nearest bucket), among all the bucket's members: a close pair is
 * still found when either row's home is one of the other's two buckets. */
function bucketPairs(members: Int32Array, home: Uint8Array, space: BucketSpace, out: Set<number>): void {
  const { proj, p, k, filter: f } = space;
  const s = members.length;
  const x = new Float32Array(s * p);
  for (let i = 0; i < s; i++) x.set(proj.subarray(members[i]! * p, (members[i]! + 1) * p), i * p);
  const queries = Int32Array.from({ length: s }, (_, i) => i).filter((i) => home[i] === 1);
  const kk = Math.min(k + 1, s);
  const { idx, d2 } = localNearest(x, s, p, kk, queries);
  const n = f.rows.rows;
  const tried = new Set<number>();
  for (let q = 0; q < queries.length; q++) {
    const i = queries[q]!;
    for (let t = 0; t < kk; t++) {
      const j = idx[q * kk + t]!;
      if (j < 0 || j === i || d2[q * kk + t]! > f.radius2) continue;
      const a = Math.min(members[i]!, members[j]!);
      const b = Math.max(members[i]!, members[j]!);
      const key = a * n + b;
      if (tried.has(key) || out.has(key)) continue;
      tried.add(key);
      if (f.rows.dot(a, b) >= f.floor) out.add(key);
    }
  }
}

/** A bucket this many times the mean size is split again (k-means cells are uneven, and a bucket costs the square
 * of its size: one cell of 2,813 rows cost as much as 300 of mean size at 100,000). */
const SPLIT_ABOVE = 3;

/** Each bucket's pairs into `found`; an oversized bucket is bucketed again on its own rows, up to `depth` times. */
export interface BucketSpace {
  /** Projected rows, row-major, p wide. */
  proj: Float32Array;
  p: number;
  k: number;
  filter: PairFilter;
}

export function searchBuckets(
  buckets: Buckets,
  space: BucketSpace,
  found: Set<number>,
  depth: number,
  o: { pick?: (bucket: number) => boolean; onBucket?: (done: number, total: number) => void } = {},
): void {
  const { proj, p } = space;
  const mean = buckets.members.length / buckets.count;
  for (let b = 0; b < buckets.count; b++) {
    if (o.pick && !o.pick(b)) continue;
    const members = buckets.members.subarray(buckets.start[b], buckets.start[b + 1]);
    const parts = Math.ceil(members.length / mean);
    if (depth > 0 && members.length > SPLIT_ABOVE * mean && members.length > 256) {
      const rows = Array.from(members);
      const centroids = trainCentroids(proj, p, rows, parts, { iterations: 4, seed: b });
      searchBuckets(assignBuckets(proj, p, rows, centroids), space, found, depth - 1);
    } else if (members.length > 1) {
      bucketPairs(members, buckets.home.subarray(buckets.start[b], buckets.start[b + 1]), space, found);
    }
    o.onBucket?.(b + 1, buckets.count);
  }
}

/** Keys lo * n + hi as pairs, ascending. */
export function toPairs(found: Set<number>, n: number): { a: number; b: number }[] {
  return [...found].sort((x, y) => x - y).map((key) => ({ a: Math.floor(key / n), b: key % n }));
}
