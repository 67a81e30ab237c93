// ViM (Wang et al., CVPR 2022): a virtual logit from the part of a feature that lies off the principal subspace of
// the training features, scaled to the size of the real logits, against the real logits' logsumexp. The classifier
// is linear (logits = f W + b), so the origin is u = -pinv(W^T) b, the point every logit is measured from.
import * as tf from '@tensorflow/tfjs';
import type { LinearHead } from './posthoc.js';
import { linearLogits } from './posthoc.js';
import { createRng, normals } from './rng.js';
import type { ScatterStats } from './scorers.js';
import { transposeRows } from './knn.js';
import { whitening } from './whiten.js';

export interface VimModel {
  d: number;
  /** Principal dimension kept. */
  D: number;
  /** u = -pinv(W^T) b. */
  origin: Float32Array;
  /** Orthonormal basis of the principal subspace, [d, D] row-major. */
  principal: Float32Array;
  /** Mean max logit over mean residual norm of the training rows. */
  alpha: number;
}

/** Subspace iterations from a random start: the top directions, which carry almost all of the residual's meaning,
 * converge in a few; directions near the cut have nearly equal variance and mixing them barely moves a residual. */
export const VIM_ITERATIONS = 5;
/** Iterations from a warm start: the run's shared basis (every ID training image) is already close to a fold
 * model's own (four fifths of the same images), so one product with the model's own matrix moves it there. */
export const VIM_WARM_ITERATIONS = 1;

/** The paper keeps about half of the feature dimensions (1000 of 2048, 512 of 768, 300 of 512). */
export function vimDimension(d: number, rows: number): number {
  return Math.max(1, Math.min(Math.floor(d / 2), rows - 1, d - 1));
}

/** u = -W (W^T W)^-1 b: the minimum-norm point where every logit is 0. */
export function vimOrigin(head: LinearHead): Float32Array {
  const { d, m, w, b } = head;
  const g = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += w[j * m + a]! * w[j * m + c]!;
      g[a * m + c] = s;
    }
  let trace = 0;
  for (let a = 0; a < m; a++) trace += g[a * m + a]!;
  // A tiny ridge keeps classes with (near) parallel weights solvable; pinv would drop that direction instead.
  for (let a = 0; a < m; a++) g[a * m + a]! += 1e-9 * Math.max(trace / m, 1e-12);
  const coef = solve(
    g,
    Float64Array.from(b, (v) => -v),
    m,
  );
  const u = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += w[j * m + k]! * coef[k]!;
    u[j] = s;
  }
  return u;
}

/** Solves a x = y for a small dense system (Gaussian elimination with partial pivoting). */
function solve(a: Float64Array, y: Float64Array, m: number): Float64Array {
  const A = Float64Array.from(a);
  const x = Float64Array.from(y);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(A[r * m + c]!) > Math.abs(A[p * m + c]!)) p = r;
    for (let k = 0; k < m; k++) [A[c * m + k], A[p * m + k]] = [A[p * m + k]!, A[c * m + k]!];
    [x[c], x[p]] = [x[p]!, x[c]!];
    const piv = A[c * m + c]! || 1e-300;
    for (let r = c + 1; r < m; r++) {
      const f = A[r * m + c]! / piv;
      if (f === 0) continue;
      for (let k = c; k < m; k++) A[r * m + k]! -= f * A[c * m + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let k = c + 1; k < m; k++) s -= A[c * m + k]! * x[k]!;
    x[c] = s / (A[c * m + c]! || 1e-300);
  }
  return x;
}

/** sum_i (x_i - p)(x_i - p)^T / n from scatter statistics about their centre c:
 * scatter + (c - p) S^T + S (c - p)^T + n (c - p)(c - p)^T, with S = sum_i (x_i - c). */
export function secondMomentAbout(s: ScatterStats, p: Float32Array): Float64Array {
  const { d } = s;
  let n = 0;
  for (const c of s.counts) n += c;
  const S = new Float64Array(d);
  for (let k = 0; k < s.classes; k++) for (let j = 0; j < d; j++) S[j]! += s.sums[k * d + j]!;
  const e = Float64Array.from({ length: d }, (_, j) => s.centre[j]! - p[j]!);
  const out = new Float64Array(d * d);
  const inv = 1 / Math.max(1, n);
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++)
      out[a * d + b] = (s.scatter[a * d + b]! + e[a]! * S[b]! + S[a]! * e[b]! + n * e[a]! * e[b]!) * inv;
  return out;
}

/** Orthonormalises the columns of y [d, D] (row-major): CholeskyQR, columns scaled to unit norm before each pass,
 * products on the backend. One pass loses some orthogonality on ill-conditioned columns; a second restores it
 * (CholeskyQR2). A pass whose Gram matrix is not numerically positive definite retries with a small shift. */
export function orthonormaliseColumns(y: Float32Array, d: number, D: number, passes = 2): Float32Array {
  let q = y;
  for (let pass = 0; pass < passes; pass++) {
    const norms = new Float64Array(D);
    for (let j = 0; j < d; j++) for (let a = 0; a < D; a++) norms[a]! += q[j * D + a]! ** 2;
    const scaled = new Float32Array(q.length);
    for (let j = 0; j < d; j++)
      for (let a = 0; a < D; a++) scaled[j * D + a] = norms[a]! > 0 ? q[j * D + a]! / Math.sqrt(norms[a]!) : 0;
    const gt = tf.tidy(() => tf.matMul(tf.tensor2d(transposeRows(scaled, d, D), [D, d]), tf.tensor2d(scaled, [d, D])));
    const g = Float64Array.from(gt.dataSync());
    gt.dispose();
    const w = whiteningWithShift(g, D);
    const qt = tf.tidy(() =>
      tf.matMul(tf.tensor2d(scaled, [d, D]), tf.tensor2d(transposeRows(Float32Array.from(w), D, D), [D, D])),
    );
    q = Float32Array.from(qt.dataSync());
    qt.dispose();
  }
  return q;
}

function whiteningWithShift(g: Float64Array, D: number): Float64Array {
  for (const shift of [0, 1e-6, 1e-4, 1e-2]) {
    const a = Float64Array.from(g);
    for (let i = 0; i < D; i++) a[i * D + i]! += shift;
    try {
      return whitening(a, D);
    } catch {
      // not positive definite at this shift: try a larger one
    }
  }
  throw new Error('ViM: the principal basis could not be orthonormalised');
}

/** Orthonormal basis [d, D] of the top-D eigenspace of a symmetric matrix, by subspace iteration (deterministic). */
export function principalSubspace(
  M: Float64Array,
  d: number,
  D: number,
  iterations = VIM_ITERATIONS,
  start?: Float32Array,
): Float32Array {
  // A Gaussian matrix is well conditioned, and inside the iteration the next product mixes the columns again anyway:
  // one pass each, and the full two only for the basis returned. A warm start is orthonormal already.
  let basis = start ?? orthonormaliseColumns(normals(d * D, 1, createRng(0x7669)), d, D, 1);
  const C = tf.tensor2d(Float32Array.from(M), [d, d]);
  try {
    for (let it = 0; it < iterations; it++) {
      const yt = tf.tidy(() => tf.matMul(C, tf.tensor2d(basis, [d, D])));
      const y = Float32Array.from(yt.dataSync());
      yt.dispose();
      basis = orthonormaliseColumns(y, d, D, it === iterations - 1 ? 2 : 1);
    }
  } finally {
    C.dispose();
  }
  return basis;
}

/** Norms of the residuals of x - u off the principal subspace, per row: sqrt(||x - u||^2 - ||(x - u) Q||^2). */
export function residualNorms(vim: Pick<VimModel, 'd' | 'D' | 'origin' | 'principal'>, x: Float32Array): Float64Array {
  const { d, D } = vim;
  const n = x.length / d;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const c = new Float32Array(x.length);
  const total = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]! - vim.origin[j]!;
      c[i * d + j] = v;
      total[i]! += v * v;
    }
  const t = tf.tidy(() => tf.sum(tf.square(tf.matMul(tf.tensor2d(c, [n, d]), tf.tensor2d(vim.principal, [d, D]))), 1));
  const proj = t.dataSync();
  t.dispose();
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(Math.max(0, total[i]! - proj[i]!));
  return out;
}

/** Fits ViM from the training rows' scatter statistics and a sample of those rows (for alpha). `start`: the run's
 * basis to iterate from (vimStartBasis), whose dimension the model keeps. */
export function fitVim(head: LinearHead, stats: ScatterStats, sample: Float32Array, start?: Float32Array): VimModel {
  const { d } = head;
  const n = sample.length / d;
  let rows = 0;
  for (const c of stats.counts) rows += c;
  const startD = start ? start.length / d : 0;
  const warm = start && Number.isInteger(startD) && startD >= 1 && startD < rows ? start : undefined;
  const D = warm ? startD : vimDimension(d, rows);
  const origin = vimOrigin(head);
  const M = secondMomentAbout(stats, origin);
  const principal = principalSubspace(M, d, D, warm ? VIM_WARM_ITERATIONS : VIM_ITERATIONS, warm);
  const res = residualNorms({ d, D, origin, principal }, sample);
  const logits = linearLogits(head, sample);
  let maxSum = 0;
  let resSum = 0;
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let k = 0; k < head.m; k++) mx = Math.max(mx, logits[i * head.m + k]!);
    maxSum += mx;
    resSum += res[i]!;
  }
  // The magnitude only: a classifier whose mean max logit is negative must not turn the virtual logit around.
  const alpha = n > 0 && resSum > 0 ? Math.abs(maxSum) / resSum : 1;
  return { d, D, origin, principal, alpha };
}

/** ViM OOD score: alpha ||residual|| - logsumexp(logits), the log-odds of the virtual class against the real ones. */
export function vimScores(vim: VimModel, x: Float32Array, logits: Float32Array, m: number): Float32Array {
  const res = residualNorms(vim, x);
  const n = res.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let k = 0; k < m; k++) mx = Math.max(mx, logits[i * m + k]!);
    let s = 0;
    for (let k = 0; k < m; k++) s += Math.exp(logits[i * m + k]! - mx);
    out[i] = vim.alpha * res[i]! - (mx + Math.log(s));
  }
  return out;
}

/** The run's shared starting basis: the principal subspace of every ID training image's pooled feature about their
 * mean, computed once while the models train. Each model still iterates on its own matrix (its own images, about
 * its own origin), so no model's subspace is fitted on the images it scores. `fewestRows`: the ID images of the
 * smallest model, which sets the dimension every model keeps. */
export function vimStartBasis(stats: ScatterStats, fewestRows?: number): Float32Array {
  let rows = 0;
  for (const c of stats.counts) rows += c;
  const mean = new Float32Array(stats.d);
  for (let j = 0; j < stats.d; j++) {
    let s = 0;
    for (let k = 0; k < stats.classes; k++) s += stats.sums[k * stats.d + j]!;
    mean[j] = stats.centre[j]! + s / Math.max(1, rows);
  }
  return principalSubspace(secondMomentAbout(stats, mean), stats.d, vimDimension(stats.d, fewestRows ?? rows));
}
