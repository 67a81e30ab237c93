// The whitening matrix of the Gaussian scorers: W = L^-1 for the Cholesky factor L of a covariance (so that
// Sigma^-1 = W^T W). Both steps take d^3/6 multiply-adds; at the 960 channels of pooled MobileNetV2 features that
// is ~0.5 s per model in JavaScript, and a run whitens a dozen such matrices. Large matrices therefore go by
// recursive halving: W of the leading half, then the trailing half's Schur complement, with every product that
// holds the work a float32 matMul on the backend (~20x faster than float64 JavaScript on wasm) and the
// complement itself formed in float64. The scores are float32 products on the backend anyway; the recursive W
// differs from the unblocked one by ~1e-6 of its scale (whiten.test.ts).
import * as tf from '@tensorflow/tfjs';

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
  return recursiveWhitening(a, d);
}

/** [rows, cols] block of m (row-major, width d) at (r0, c0), as float32 for the backend. */
function block32(m: Float64Array, d: number, r0: number, rows: number, c0: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = m[(r0 + i) * d + c0 + j]!;
  return out;
}

/** [rows, cols] float64 copy of a block of m. */
function block64(m: Float64Array, d: number, r0: number, rows: number, c0: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(m.subarray((r0 + i) * d + c0, (r0 + i) * d + c0 + cols), i * cols);
  return out;
}

/** Runs `f` on the backend and returns its result as a plain array (never return a typed array from tf.tidy: it
 * walks every element as a possible tensor). */
function onBackend(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

/** With A = [A11 ., A21 A22] and L11 = chol(A11), W11 = L11^-1: L21 = A21 W11^T, the Schur complement
 * S = A22 - L21 L21^T, W22 = chol(S)^-1 and W21 = -W22 L21 W11. Splits at a multiple of NB so the leaves are
 * NB wide. On wasm a matMul with a transposed operand flag is ~5x slower than one on an explicit transpose. */
function recursiveWhitening(a: Float64Array, d: number): Float64Array {
  if (d <= NB) return invertLower(cholesky(a, d), d);
  const h = Math.ceil(d / 2 / NB) * NB;
  const r = d - h;
  const W11 = recursiveWhitening(block64(a, d, 0, h, 0, h), h);
  const A21 = tf.tensor2d(block32(a, d, h, r, 0, h), [r, h]);
  const W11t = tf.tensor2d(Float32Array.from(W11), [h, h]);
  let W22: Float64Array;
  let W21: Float32Array;
  try {
    const L21 = tf.tidy(() => tf.matMul(A21, tf.transpose(W11t)));
    try {
      const P = onBackend(() => tf.matMul(L21, tf.transpose(L21)));
      const S = block64(a, d, h, r, h, r);
      for (let i = 0; i < S.length; i++) S[i]! -= P[i]!;
      W22 = recursiveWhitening(S, r);
      const W22t = tf.tensor2d(Float32Array.from(W22), [r, r]);
      try {
        W21 = onBackend(() => tf.neg(tf.matMul(W22t, tf.matMul(L21, W11t))));
      } finally {
        W22t.dispose();
      }
    } finally {
      L21.dispose();
    }
  } finally {
    tf.dispose([A21, W11t]);
  }
  const W = new Float64Array(d * d);
  for (let i = 0; i < h; i++) W.set(W11.subarray(i * h, i * h + i + 1), i * d);
  for (let i = 0; i < r; i++) {
    const row = (h + i) * d;
    for (let j = 0; j < h; j++) W[row + j] = W21[i * h + j]!;
    for (let j = 0; j <= i; j++) W[row + h + j] = W22[i * r + j]!;
  }
  return W;
}
