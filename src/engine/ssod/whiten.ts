// The whitening matrix of the Gaussian scorers: W = L^-1 for the Cholesky factor L of a covariance (so that
// Sigma^-1 = W^T W). Both steps take d^3/6 multiply-adds; at the 960 channels of pooled MobileNetV2 features that
// is ~0.5 s per model in JavaScript, so large matrices go by blocks: the small triangular parts in float64 here,
// the products that hold almost all of the work as float32 matMuls on the backend (~20x faster on wasm). The
// scores are float32 products on the backend anyway; a blocked W differs from the unblocked one by ~1e-6.
import * as tf from '@tensorflow/tfjs';
import { transposeRows } from './knn.js';

/** From this size on, whitening() goes by blocks. */
export const BLOCKED_FROM = 256;
const NB = 64;

export function cholesky(a: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= L[j * d + k]! * L[j * d + k]!;
    if (!(s > 0)) throw new Error('covariance is not positive definite');
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      const ri = i * d;
      const rj = j * d;
      for (let k = 0; k < j; k++) t -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = t / ljj;
    }
  }
  return L;
}

export function invertLower(L: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  // Column j of L^-1 by forward substitution of L x = e_j; rows of L and x are read contiguously.
  const x = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    x.fill(0, 0, j);
    for (let i = j; i < d; i++) {
      let s = i === j ? 1 : 0;
      const ri = i * d;
      for (let k = j; k < i; k++) s -= L[ri + k]! * x[k]!;
      x[i] = s / L[ri + i]!;
      inv[ri + j] = x[i]!;
    }
  }
  return inv;
}

/** W = L^-1 where L L^T = a (symmetric positive definite, row-major). */
export function whitening(a: Float64Array, d: number, blockedFrom = BLOCKED_FROM): Float64Array {
  if (d < blockedFrom) return invertLower(cholesky(a, d), d);
  return blockedInvertLower(blockedCholesky(a, d), d);
}

/** [rows, cols] float64 block of m (row-major, width d) at (r0, c0), as float32. */
function block(m: Float64Array, d: number, r0: number, rows: number, c0: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = m[(r0 + i) * d + c0 + j]!;
  return out;
}

/** x y on the backend, as a plain array. */
function product(x: Float32Array, y: Float32Array, n: number, k: number, m: number): Float32Array {
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(x, [n, k]), tf.tensor2d(y, [k, m])));
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

/** Right-looking blocked Cholesky: factor a diagonal block, solve its panel, update the trailing matrix. */
function blockedCholesky(a: Float64Array, d: number): Float64Array {
  const A = Float64Array.from(a);
  const L = new Float64Array(d * d);
  for (let k = 0; k < d; k += NB) {
    const kb = Math.min(NB, d - k);
    // Diagonal block: A already holds the updates of every column before k.
    for (let j = k; j < k + kb; j++) {
      let s = A[j * d + j]!;
      for (let p = k; p < j; p++) s -= L[j * d + p]! * L[j * d + p]!;
      if (!(s > 0)) throw new Error('covariance is not positive definite');
      const ljj = Math.sqrt(s);
      L[j * d + j] = ljj;
      for (let i = j + 1; i < k + kb; i++) {
        let t = A[i * d + j]!;
        for (let p = k; p < j; p++) t -= L[i * d + p]! * L[j * d + p]!;
        L[i * d + j] = t / ljj;
      }
    }
    const r0 = k + kb;
    const r = d - r0;
    if (r === 0) break;
    // Panel below it: each row solves L11 x = its part of A.
    for (let i = r0; i < d; i++)
      for (let j = k; j < k + kb; j++) {
        let t = A[i * d + j]!;
        for (let p = k; p < j; p++) t -= L[i * d + p]! * L[j * d + p]!;
        L[i * d + j] = t / L[j * d + j]!;
      }
    // Trailing matrix (lower triangle): A22 -= L21 L21^T.
    const panel = block(L, d, r0, r, k, kb);
    const u = product(panel, transposeRows(panel, r, kb), r, kb, r);
    for (let i = 0; i < r; i++) {
      const row = (r0 + i) * d + r0;
      for (let j = 0; j <= i; j++) A[row + j]! -= u[i * r + j]!;
    }
  }
  return L;
}

/** L^-1 by block rows: W[I, :k] = -L_II^-1 L[I, :k] W[:k, :k] and W[I, I] = L_II^-1 (W is lower triangular). */
function blockedInvertLower(L: Float64Array, d: number): Float64Array {
  const W = new Float64Array(d * d);
  for (let k = 0; k < d; k += NB) {
    const kb = Math.min(NB, d - k);
    const diag = (i: number, p: number): number => L[(k + i) * d + k + p]!;
    // Columns before the block: forward substitution of L_II y = -P[:, c], P = L[I, :k] W[:k, :k].
    if (k > 0) {
      const P = product(block(L, d, k, kb, 0, k), block(W, d, 0, k, 0, k), kb, k, k);
      for (let c = 0; c < k; c++)
        for (let i = 0; i < kb; i++) {
          let s = -P[i * k + c]!;
          for (let p = 0; p < i; p++) s -= diag(i, p) * W[(k + p) * d + c]!;
          W[(k + i) * d + c] = s / diag(i, i);
        }
    }
    // The diagonal block: the inverse of L_II.
    for (let j = 0; j < kb; j++)
      for (let i = j; i < kb; i++) {
        let s = i === j ? 1 : 0;
        for (let p = j; p < i; p++) s -= diag(i, p) * W[(k + p) * d + k + j]!;
        W[(k + i) * d + k + j] = s / diag(i, i);
      }
  }
  return W;
}
