// Principal components of many wide rows, fast: randomised subspace iteration on a sample of the rows finds the
// dominant subspace (Halko, Martinsson & Tropp 2011), a small symmetric eigenproblem inside it orders the
// directions, and every row is then projected once. The map uses it twice: two components are the fast layout,
// some tens of components feed its neighbour graph (distances over 48 columns instead of 960).
import { createRng, normals, shuffleInPlace } from '../ssod/rng.js';
import type { Matrix } from './vectors.js';

export interface Basis {
  /** Column means of the sample (rows are centred before projection). */
  mean: Float64Array;
  /** k orthonormal directions, row-major k × d, strongest first. */
  dirs: Float64Array;
  k: number;
  d: number;
}

export interface BasisOptions {
  /** Rows the subspace is estimated from (all rows when there are fewer). */
  sampleRows?: number;
  /** Extra directions carried through the iteration, dropped at the end (accuracy of the last kept ones). */
  oversample?: number;
  iterations?: number;
  seed?: number;
}

/** Orthonormalises the columns of a d × l column-major block in place (modified Gram-Schmidt, twice for safety);
 * a column that vanishes is replaced by zeros. */
function orthonormalise(q: Float64Array, d: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      const col = q.subarray(c * d, (c + 1) * d);
      for (let p = 0; p < c; p++) {
        const prev = q.subarray(p * d, (p + 1) * d);
        let s = 0;
        for (let j = 0; j < d; j++) s += col[j]! * prev[j]!;
        for (let j = 0; j < d; j++) col[j] = col[j]! - s * prev[j]!;
      }
      let n = 0;
      for (let j = 0; j < d; j++) n += col[j]! * col[j]!;
      const inv = n > 1e-24 ? 1 / Math.sqrt(n) : 0;
      for (let j = 0; j < d; j++) col[j] = col[j]! * inv;
    }
  }
}

/** Centred sample rows times a d × l column-major block: the s × l result, column-major. */
function timesBlock(
  x: Float32Array,
  mean: Float64Array,
  s: number,
  d: number,
  q: Float64Array,
  l: number,
): Float64Array {
  const out = new Float64Array(s * l);
  const centred = new Float64Array(d);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < d; j++) centred[j] = x[i * d + j]! - mean[j]!;
    for (let c = 0; c < l; c++) {
      let acc = 0;
      const o = c * d;
      for (let j = 0; j < d; j++) acc += centred[j]! * q[o + j]!;
      out[c * s + i] = acc;
    }
  }
  return out;
}

/** The transposed product: centred sampleᵀ times an s × l column-major block, a d × l column-major result. */
function transposeTimes(
  x: Float32Array,
  mean: Float64Array,
  s: number,
  d: number,
  y: Float64Array,
  l: number,
): Float64Array {
  const out = new Float64Array(d * l);
  for (let i = 0; i < s; i++) {
    for (let c = 0; c < l; c++) {
      const w = y[c * s + i]!;
      if (w === 0) continue;
      const o = c * d;
      for (let j = 0; j < d; j++) out[o + j] = out[o + j]! + w * (x[i * d + j]! - mean[j]!);
    }
  }
  return out;
}

/** Eigenvectors of a small symmetric matrix (cyclic Jacobi), columns ordered by eigenvalue, largest first. */
function symmetricEigen(a: Float64Array, n: number): Float64Array {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const out = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let r = 0; r < n; r++) out[r * n + dst] = v[r * n + src]!;
  });
  return out;
}

/** One Jacobi rotation zeroing a[p][q] (a and the accumulated eigenvectors v updated in place). */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q]!;
  if (Math.abs(apq) < 1e-300) return;
  const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!;
    const akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!;
    const aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p]!;
    const vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

function sampleOf(m: Matrix, rows: number, seed: number): Float32Array {
  if (m.rows <= rows) return m.data;
  const pick = shuffleInPlace(
    Array.from({ length: m.rows }, (_, i) => i),
    createRng(seed),
  ).slice(0, rows);
  const out = new Float32Array(rows * m.cols);
  pick.forEach((r, i) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/** The k strongest principal directions of `m`'s rows (k is capped by the columns and the sample's rows). */
export function principalBasis(m: Matrix, k: number, options: BasisOptions = {}): Basis {
  const d = m.cols;
  const seed = options.seed ?? 1;
  const x = sampleOf(m, options.sampleRows ?? 5000, seed);
  const s = x.length / d;
  const kk = Math.max(1, Math.min(k, d, s));
  const l = Math.min(d, s, kk + (options.oversample ?? 8));
  const mean = new Float64Array(d);
  for (let i = 0; i < s; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x[i * d + j]! / s;
  // Q spans the dominant right-singular subspace of the centred sample after a few power iterations.
  let q: Float64Array = Float64Array.from(normals(d * l, 1, createRng(seed + 1)));
  orthonormalise(q, d, l);
  for (let it = 0; it < (options.iterations ?? 2); it++) {
    q = transposeTimes(x, mean, s, d, timesBlock(x, mean, s, d, q, l), l);
    orthonormalise(q, d, l);
  }
  // Inside the subspace: the l × l covariance of the projected sample, its eigenvectors order the directions.
  const y = timesBlock(x, mean, s, d, q, l);
  const cov = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      let acc = 0;
      for (let i = 0; i < s; i++) acc += y[a * s + i]! * y[b * s + i]!;
      cov[a * l + b] = cov[b * l + a] = acc / s;
    }
  }
  const v = symmetricEigen(cov, l);
  const dirs = new Float64Array(kk * d);
  for (let c = 0; c < kk; c++) {
    for (let a = 0; a < l; a++) {
      const w = v[a * l + c]!;
      for (let j = 0; j < d; j++) dirs[c * d + j] = dirs[c * d + j]! + w * q[a * d + j]!;
    }
  }
  return { mean, dirs, k: kk, d };
}

/** Every row of `m`, centred, in the basis's coordinates: an n × k matrix. */
export function project(m: Matrix, basis: Basis): Matrix {
  const { d, k, dirs, mean } = basis;
  if (m.cols !== d) throw new RangeError(`project: rows of ${m.cols}, basis of ${d}`);
  const out = new Float32Array(m.rows * k);
  const centred = new Float64Array(d);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < d; j++) centred[j] = m.data[i * d + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      let acc = 0;
      const o = c * d;
      for (let j = 0; j < d; j++) acc += centred[j]! * dirs[o + j]!;
      out[i * k + c] = acc;
    }
  }
  return { data: out, rows: m.rows, cols: k };
}
