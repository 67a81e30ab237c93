// Post-hoc OOD scorers beside SSOD, all returned as OOD scores (higher = more out-of-distribution) so that every
// scorer is compared on equal terms. Heavy products run as batched tfjs matmuls; small algebra in Float64 JS.
import * as tf from '@tensorflow/tfjs';
import { kthSimilarityFull, kthSimilarityPruned, transposeRows } from './knn.js';
import { whitening } from './whiten.js';

export { transposeRows };

/** MSP, MaxLogit and Energy from class logits [n, M]. */
export function logitScores(
  logits: Float32Array,
  n: number,
  m: number,
): { msp: Float32Array; maxlogit: Float32Array; energy: Float32Array } {
  const msp = new Float32Array(n);
  const maxlogit = new Float32Array(n);
  const energy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < m; k++) max = Math.max(max, logits[i * m + k]!);
    let sum = 0;
    for (let k = 0; k < m; k++) sum += Math.exp(logits[i * m + k]! - max);
    msp[i] = -1 / sum; // -max softmax
    maxlogit[i] = -max;
    energy[i] = -(max + Math.log(sum)); // -logsumexp: low free energy = ID
  }
  return { msp, maxlogit, energy };
}

/** L2-normalises rows in place (zero rows stay zero). */
export function l2NormaliseRows(x: Float32Array, d: number): Float32Array {
  for (let o = 0; o < x.length; o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j]! * x[o + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) x[o + j]! *= inv;
  }
  return x;
}

/** KNN OOD score: 1 - cosine similarity to the k-th nearest reference. Both sets L2-normalised rows of width d.
 * Exact at every size. Large sets go through the subspace-bounded search (knn.ts, ~4x fewer operations on pooled
 * MobileNetV2 features); small ones take one matmul per block of queries against the transposed reference matrix,
 * kept on the backend, with top-k on the backend (a block's similarities stay under ~16 MB). */
export function knnScores(
  refs: Float32Array,
  queries: Float32Array,
  d: number,
  k = 10,
  exclude?: Int32Array,
): Float32Array {
  const nRef = refs.length / d;
  const nq = queries.length / d;
  const kk = Math.min(k, nRef);
  const out = new Float32Array(nq);
  if (nRef === 0 || nq === 0) return out.fill(1);
  const kth = kthSimilarityPruned(refs, queries, d, kk, exclude) ?? kthSimilarityFull(refs, queries, d, kk, exclude);
  for (let i = 0; i < nq; i++) out[i] = 1 - kth[i]!;
  return out;
}

/** Class-conditional Gaussian with one shared covariance, stored as class means and the whitening matrix W
 * (Sigma^-1 = W^T W), so that a distance is a matmul and a squared norm. */
export interface GaussianModel {
  d: number;
  classes: number;
  /** [classes, d] */
  means: Float32Array;
  /** [d, d] lower triangular, W = L^-1 where Sigma = L L^T. */
  whiten: Float32Array;
}

/** Fits means per class and a shared covariance shrunk towards (trace/d) I by `shrinkage` in [0, 1]. */
export function fitGaussian(
  x: Float32Array,
  labels: ArrayLike<number>,
  d: number,
  classes: number,
  shrinkage = 0.1,
): GaussianModel {
  const n = labels.length;
  const means = new Float64Array(classes * d);
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    counts[y]!++;
    for (let j = 0; j < d; j++) means[y * d + j]! += x[i * d + j]!;
  }
  for (let k = 0; k < classes; k++) for (let j = 0; j < d; j++) means[k * d + j]! /= Math.max(1, counts[k]!);
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    for (let j = 0; j < d; j++) centred[i * d + j] = x[i * d + j]! - means[y * d + j]!;
  }
  const covT = tf.tidy(() => {
    const c = tf.tensor2d(centred, [n, d]);
    const cT = tf.tensor2d(transposeRows(centred, n, d), [d, n]);
    return tf.div(tf.matMul(cT, c), Math.max(1, n - classes));
  });
  const cov = Float64Array.from(covT.dataSync());
  covT.dispose();
  return fromCovariance(means, cov, d, classes, shrinkage);
}

/** Shrinks a covariance towards (trace/d) I and stores its whitening matrix. */
function fromCovariance(
  means: Float64Array,
  cov: Float64Array,
  d: number,
  classes: number,
  shrinkage: number,
): GaussianModel {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cov[j * d + j]!;
  const mu = Math.max(trace / d, 1e-8);
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++)
      cov[a * d + b] = (1 - shrinkage) * cov[a * d + b]! + (a === b ? shrinkage * mu + 1e-6 * mu : 0);
  return { d, classes, means: Float32Array.from(means), whiten: Float32Array.from(whitening(cov, d)) };
}

/** Sufficient statistics of class-conditional Gaussians: per-class sums and counts of x - centre and the scatter
 * sum (x - centre)(x - centre)^T. Statistics of disjoint row sets with the same centre add, so K-fold models share
 * one pass over the data instead of one d x d product over (K-1)/K of it per model. */
export interface ScatterStats {
  d: number;
  classes: number;
  centre: Float64Array;
  sums: Float64Array;
  counts: Float64Array;
  scatter: Float64Array;
}

export function scatterStats(
  x: Float32Array,
  labels: ArrayLike<number>,
  d: number,
  classes: number,
  centre: Float64Array,
): ScatterStats {
  const n = labels.length;
  const sums = new Float64Array(classes * d);
  const counts = new Float64Array(classes);
  const c = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    counts[y]!++;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]! - centre[j]!;
      c[i * d + j] = v;
      sums[y * d + j]! += v;
    }
  }
  let scatter = new Float64Array(d * d);
  if (n > 0) {
    const t = tf.tidy(() => tf.matMul(tf.tensor2d(transposeRows(c, n, d), [d, n]), tf.tensor2d(c, [n, d])));
    scatter = Float64Array.from(t.dataSync());
    t.dispose();
  }
  return { d, classes, centre, sums, counts, scatter };
}

export function addScatter(parts: readonly ScatterStats[]): ScatterStats {
  const first = parts[0]!;
  const out: ScatterStats = {
    ...first,
    sums: new Float64Array(first.sums.length),
    counts: new Float64Array(first.counts.length),
    scatter: new Float64Array(first.scatter.length),
  };
  for (const p of parts) {
    for (let i = 0; i < p.sums.length; i++) out.sums[i]! += p.sums[i]!;
    for (let i = 0; i < p.counts.length; i++) out.counts[i]! += p.counts[i]!;
    for (let i = 0; i < p.scatter.length; i++) out.scatter[i]! += p.scatter[i]!;
  }
  return out;
}

/** fitGaussian from summed statistics: within-class scatter = scatter - sum_k s_k s_k^T / n_k. */
export function gaussianFromScatter(s: ScatterStats, shrinkage = 0.1): GaussianModel {
  const { d, classes } = s;
  let n = 0;
  const means = new Float64Array(classes * d);
  const cov = Float64Array.from(s.scatter);
  for (let k = 0; k < classes; k++) {
    const nk = s.counts[k]!;
    n += nk;
    // An absent class keeps a zero mean, as fitGaussian gives it.
    if (nk === 0) continue;
    const sk = s.sums.subarray(k * d, (k + 1) * d);
    for (let j = 0; j < d; j++) means[k * d + j] = s.centre[j]! + sk[j]! / nk;
    for (let a = 0; a < d; a++) {
      const f = sk[a]! / nk;
      for (let b = 0; b < d; b++) cov[a * d + b]! -= f * sk[b]!;
    }
  }
  const div = Math.max(1, n - classes);
  for (let i = 0; i < cov.length; i++) cov[i]! /= div;
  return fromCovariance(means, cov, d, classes, shrinkage);
}

/** Minimum squared Mahalanobis distance over classes for each row of x. */
export function gaussianScores(g: GaussianModel, x: Float32Array): Float32Array {
  const n = x.length / g.d;
  if (n === 0) return new Float32Array(0);
  const t = tf.tidy(() => {
    const WT = tf.tensor2d(transposeRows(g.whiten, g.d, g.d), [g.d, g.d]);
    const z = tf.matMul(tf.tensor2d(x, [n, g.d]), WT);
    const m = tf.matMul(tf.tensor2d(g.means, [g.classes, g.d]), WT);
    const d2 = tf.add(
      tf.sub(tf.sum(tf.square(z), 1, true), tf.mul(2, tf.matMul(z, tf.transpose(m)))),
      tf.sum(tf.square(m), 1).reshape([1, g.classes]),
    );
    return tf.min(d2, 1);
  });
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(out);
}

/** Median and interquartile range of held-out ID scores: the scale on which scores are fused. */
export interface RobustScale {
  median: number;
  iqr: number;
}

export function robustScale(scores: ArrayLike<number>): RobustScale {
  const s = Float64Array.from(scores).sort();
  if (s.length === 0) return { median: 0, iqr: 1 };
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
  return { median: q(0.5), iqr: Math.max(q(0.75) - q(0.25), 1e-6) };
}

/** Fused OOD score: the mean of robust z-scores (a rank-like average that does not saturate beyond the ID range). */
export function fuseScores(parts: { scores: ArrayLike<number>; scale: RobustScale }[]): Float32Array {
  const n = parts[0]?.scores.length ?? 0;
  const out = new Float32Array(n);
  for (const p of parts)
    for (let i = 0; i < n; i++) out[i]! += (p.scores[i]! - p.scale.median) / p.scale.iqr / parts.length;
  return out;
}
