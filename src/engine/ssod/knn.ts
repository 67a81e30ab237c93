// Exact k-nearest-neighbour cosine similarity without the full product. Refs and queries are L2-normalised rows.
// For any orthonormal basis V of a p-dimensional subspace, q.r = (V'q).(V'r) + e with |e| <= |q_res| |r_res|
// (Cauchy-Schwarz on the parts outside the subspace). With V spanning the refs' top principal directions the
// residuals are small (pooled MobileNetV2 features: 99.8% of the energy in 128 of 960 dimensions), so bounds from
// a p-wide product leave a few dozen candidates per query out of thousands; only those get the exact d-wide dot
// product. The result is the exact k-th similarity (up to float rounding), never an approximation: a block where
// pruning fails falls back to the full product.
import * as tf from '@tensorflow/tfjs';
import { lap, now } from './profile.js';
import { createRng, normals } from './rng.js';

/** Below these sizes the full product is cheap enough. */
const MIN_REFS = 2000;
const MIN_DIM = 256;
const SUBSPACE = 128;
/** Refs sampled for the subspace, and rounds of subspace iteration: any orthonormal basis keeps the result exact,
 * a better one only prunes more (1,024 rows and 4 rounds: 0.6-0.7% of pairs reach the exact product). */
const SAMPLE = 1024;
const ITERATIONS = 4;
/** Slack added to every bound: float32 rounding of the p-wide product and of the residual norms. */
const EPS = 1e-4;
/** A block whose candidates exceed this share of all pairs is computed by the full product instead. */
const MAX_CANDIDATE_SHARE = 0.05;

export interface KnnIndex {
  p: number;
  /** [d, p] orthonormal columns. */
  basis: Float32Array;
  /** Projected refs, transposed: [p, nRef]. */
  projT: Float32Array;
  /** Norm of each ref outside the subspace (inflated to cover rounding). */
  residual: Float64Array;
  /** Cleared when a block's bounds failed to prune: the refs are not near-low-rank, so later queries go straight
   * to the full product instead of paying for bounds that will not help. */
  prunable: boolean;
}

/** Counters for tests and benchmarks: pairs bounded, candidates left by the bounds, candidates given the exact
 * product before the search could stop, blocks that fell back. */
export const knnStats = { pairs: 0, candidates: 0, exactDots: 0, fullBlocks: 0 };

/** Indexes by reference array: a model's refs are built once and never written again (callers must not mutate
 * refs after a call, or the cached bounds go stale). */
const indexes = new WeakMap<Float32Array, KnnIndex>();

/** Row-major [rows, cols] -> [cols, rows]. On wasm a matMul with transposeA/B set runs ~5x slower than one on an
 * explicitly transposed operand (measured: 2.7 vs 15-21 GFLOP/s), so the big products take transposed copies. */
export function transposeRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  // Blocked so both sides stay in cache.
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B)
    for (let j0 = 0; j0 < cols; j0 += B) {
      const i1 = Math.min(rows, i0 + B);
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j]!;
    }
  return out;
}

/** Orthonormalises the p columns of a column-major [p][d] set in place (modified Gram-Schmidt, float64). */
function orthonormalise(cols: Float64Array[]): void {
  for (let a = 0; a < cols.length; a++) {
    const ca = cols[a]!;
    for (let b = 0; b < a; b++) {
      const cb = cols[b]!;
      let dot = 0;
      for (let j = 0; j < ca.length; j++) dot += ca[j]! * cb[j]!;
      for (let j = 0; j < ca.length; j++) ca[j]! -= dot * cb[j]!;
    }
    let n = 0;
    for (let j = 0; j < ca.length; j++) n += ca[j]! * ca[j]!;
    n = Math.sqrt(n);
    // A degenerate direction (rank-deficient refs) is harmless: zero it, the bound still holds.
    for (let j = 0; j < ca.length; j++) ca[j] = n > 1e-10 ? ca[j]! / n : 0;
  }
}

/** Top principal directions of the rows (uncentred), by a few rounds of subspace iteration. Deterministic. */
function principalBasis(rows: Float32Array, d: number, p: number): Float32Array {
  const nRef = rows.length / d;
  const stride = Math.max(1, Math.floor(nRef / SAMPLE));
  const sampleRows: number[] = [];
  for (let i = 0; i < nRef && sampleRows.length < SAMPLE; i += stride) sampleRows.push(i);
  const sample = new Float32Array(sampleRows.length * d);
  sampleRows.forEach((r, i) => sample.set(rows.subarray(r * d, (r + 1) * d), i * d));
  const rng = createRng(0x6b6e6e);
  const cols = Array.from({ length: p }, () => Float64Array.from(normals(d, 1, rng)));
  orthonormalise(cols);
  const C = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d(transposeRows(sample, sampleRows.length, d), [d, sampleRows.length]),
      tf.tensor2d(sample, [sampleRows.length, d]),
    ),
  );
  const basis = new Float32Array(d * p);
  try {
    for (let it = 0; it < ITERATIONS; it++) {
      for (let a = 0; a < p; a++) for (let j = 0; j < d; j++) basis[j * p + a] = cols[a]![j]!;
      // (Never return a typed array from tf.tidy: it walks every element as a possible tensor.)
      const yt = tf.tidy(() => tf.matMul(C, tf.tensor2d(basis, [d, p])));
      const y = yt.dataSync() as Float32Array;
      yt.dispose();
      for (let a = 0; a < p; a++) for (let j = 0; j < d; j++) cols[a]![j] = y[j * p + a]!;
      orthonormalise(cols);
    }
  } finally {
    C.dispose();
  }
  for (let a = 0; a < p; a++) for (let j = 0; j < d; j++) basis[j * p + a] = cols[a]![j]!;
  return basis;
}

/** One basis and every row's projection for all the models of a run: a model's references are a subset of the
 * run's training rows, and any orthonormal basis keeps the search exact, so K+1 models need one basis, not K+1. */
export interface SharedKnnBasis {
  d: number;
  p: number;
  /** [d, p] orthonormal columns. */
  basis: Float32Array;
  /** Projection of each row, [rows, p]. */
  proj: Float32Array;
  /** Norm of each row outside the subspace. */
  residual: Float64Array;
}

function basisOf(rows: Float32Array, d: number, p: number): SharedKnnBasis {
  const basis = principalBasis(rows, d, p);
  const proj = project(rows, d, basis, p);
  return { d, p, basis, proj, residual: residualNorms(rows, proj, d, p) };
}

/** The index of rows `which` of a basis's rows (all of them when absent). */
function indexOf(shared: SharedKnnBasis, which?: ArrayLike<number>): KnnIndex {
  const { p } = shared;
  if (!which) {
    const n = shared.residual.length;
    return {
      p,
      basis: shared.basis,
      projT: transposeRows(shared.proj, n, p),
      residual: shared.residual,
      prunable: true,
    };
  }
  const proj = new Float32Array(which.length * p);
  const residual = new Float64Array(which.length);
  for (let i = 0; i < which.length; i++) {
    const r = which[i]!;
    proj.set(shared.proj.subarray(r * p, (r + 1) * p), i * p);
    residual[i] = shared.residual[r]!;
  }
  return { p, basis: shared.basis, projT: transposeRows(proj, which.length, p), residual, prunable: true };
}

/** The shared basis of L2-normalised rows, or undefined when sets this size take the full product anyway. */
export function sharedKnnBasis(rows: Float32Array, d: number): SharedKnnBasis | undefined {
  if (rows.length / d < MIN_REFS || d < MIN_DIM) return undefined;
  return basisOf(rows, d, Math.min(SUBSPACE, d));
}

/** Registers the index of `refs`, which are rows `which` of the shared basis's rows, or all of them when absent
 * (same values, same order). */
export function adoptKnnIndex(refs: Float32Array, shared: SharedKnnBasis, which?: ArrayLike<number>): void {
  const n = which?.length ?? shared.residual.length;
  if (refs.length !== n * shared.d) throw new RangeError('refs and rows of the shared basis differ in count');
  indexes.set(refs, indexOf(shared, which));
}

function project(x: Float32Array, d: number, basis: Float32Array, p: number): Float32Array {
  const n = x.length / d;
  const out = new Float32Array(n * p);
  const V = tf.tensor2d(basis, [d, p]);
  try {
    for (let s = 0; s < n; s += 4096) {
      const b = Math.min(4096, n - s);
      const t = tf.tidy(() => tf.matMul(tf.tensor2d(x.subarray(s * d, (s + b) * d), [b, d]), V));
      out.set(t.dataSync(), s * p);
      t.dispose();
    }
  } finally {
    V.dispose();
  }
  return out;
}

function residualNorms(x: Float32Array, proj: Float32Array, d: number, p: number): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let full = 0;
    for (let j = 0; j < d; j++) full += x[i * d + j]! * x[i * d + j]!;
    let inside = 0;
    for (let a = 0; a < p; a++) inside += proj[i * p + a]! * proj[i * p + a]!;
    // The 1e-5 covers float32 error in the projection, where sqrt would amplify it near zero.
    out[i] = Math.sqrt(Math.max(0, full - inside) + 1e-5);
  }
  return out;
}

/** Inserts v into `top` (ascending, fixed length) if it beats the smallest. */
function keepTop(top: Float64Array, v: number): void {
  if (v <= top[0]!) return;
  let i = 0;
  while (i + 1 < top.length && top[i + 1]! < v) {
    top[i] = top[i + 1]!;
    i++;
  }
  top[i] = v;
}

/** The k-th largest similarity of each query by the full product, in blocks (top-k on the backend). */
export function kthSimilarityFull(
  refs: Float32Array,
  queries: Float32Array,
  d: number,
  k: number,
  exclude?: Int32Array,
): Float32Array {
  const nRef = refs.length / d;
  const nq = queries.length / d;
  const out = new Float32Array(nq);
  const chunk = Math.max(1, Math.floor(4_000_000 / nRef));
  const t = now();
  const RT = tf.tensor2d(transposeRows(refs, nRef, d), [d, nRef]);
  try {
    for (let s = 0; s < nq; s += chunk) {
      const b = Math.min(chunk, nq - s);
      // `exclude` lets a reference skip itself (k+1 neighbours, then drop the query's own row).
      const extra = exclude ? 1 : 0;
      const top = tf.tidy(() => {
        const Q = tf.tensor2d(queries.subarray(s * d, (s + b) * d), [b, d]);
        return tf.topk(tf.matMul(Q, RT), Math.min(k + extra, nRef));
      });
      const vals = top.values.dataSync();
      const idx = top.indices.dataSync();
      const w = top.values.shape[1]!;
      tf.dispose([top.values, top.indices]);
      for (let i = 0; i < b; i++) {
        let seen = 0;
        let v = -1;
        for (let j = 0; j < w && seen < k; j++) {
          if (exclude && idx[i * w + j] === exclude[s + i]) continue;
          v = vals[i * w + j]!;
          seen++;
        }
        out[s + i] = v;
      }
    }
  } finally {
    RT.dispose();
  }
  lap('knn: full product', t);
  return out;
}

/** The index of `refs` (built once and kept by reference), or undefined when its bounds proved not to prune. */
function indexFor(refs: Float32Array, d: number): KnnIndex | undefined {
  let index = indexes.get(refs);
  if (!index || index.basis.length !== d * Math.min(SUBSPACE, d)) {
    index = indexOf(basisOf(refs, d, Math.min(SUBSPACE, d)));
    indexes.set(refs, index);
  }
  return index.prunable ? index : undefined;
}

/** Candidates of each query of a block: the refs whose upper bound reaches the k-th best lower bound, in
 * descending order of upper bound (`ub`, parallel). `A` is the block's [b, nRef] product in the subspace; `qRes`
 * the block's query residuals; `ex` the refs to skip. */
function blockCandidates(
  A: Float32Array,
  b: number,
  residual: Float64Array,
  qRes: ArrayLike<number>,
  k: number,
  ex: ((i: number) => number) | undefined,
): { cand: Int32Array[]; ub: Float64Array[]; total: number } {
  const nRef = residual.length;
  const top = new Float64Array(k);
  const cand: Int32Array[] = [];
  const ub: Float64Array[] = [];
  let total = 0;
  for (let i = 0; i < b; i++) {
    const qr = qRes[i]!;
    const skip = ex ? ex(i) : -1;
    const o = i * nRef;
    top.fill(-Infinity);
    for (let j = 0; j < nRef; j++) if (j !== skip) keepTop(top, A[o + j]! - qr * residual[j]! - EPS);
    const tau = top[0]!;
    const c: number[] = [];
    const u: number[] = [];
    for (let j = 0; j < nRef; j++) {
      const bound = A[o + j]! + qr * residual[j]! + EPS;
      if (j !== skip && bound >= tau) {
        c.push(j);
        u.push(bound);
      }
    }
    const order = Array.from(c, (_, x) => x).sort((x, y) => u[y]! - u[x]!);
    cand.push(Int32Array.from(order, (x) => c[x]!));
    ub.push(Float64Array.from(order, (x) => u[x]!));
    total += c.length;
  }
  return { cand, ub, total };
}

/** Exact dot product of two d-wide rows of a and b at offsets ao and bo. */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  // Four accumulators: independent additions pipeline (~2x over one running sum in V8).
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let h = 0;
  for (; h + 3 < d; h += 4) {
    d0 += a[ao + h]! * b[bo + h]!;
    d1 += a[ao + h + 1]! * b[bo + h + 1]!;
    d2 += a[ao + h + 2]! * b[bo + h + 2]!;
    d3 += a[ao + h + 3]! * b[bo + h + 3]!;
  }
  for (; h < d; h++) d0 += a[ao + h]! * b[bo + h]!;
  return d0 + d1 + (d2 + d3);
}

/** The k-th exact similarity of queries s.. of a block over their candidates, into out. Candidates come in
 * descending order of upper bound, so once the next one's bound is below the k-th exact similarity found so far,
 * neither it nor any after it can enter the top k: the search stops there, still exact. */
function exactOverCandidates(
  refs: Float32Array,
  queries: Float32Array,
  d: number,
  k: number,
  s: number,
  found: { cand: Int32Array[]; ub: Float64Array[] },
  out: Float32Array,
): number {
  const top = new Float64Array(k);
  let dots = 0;
  for (let i = 0; i < found.cand.length; i++) {
    const cand = found.cand[i]!;
    const ub = found.ub[i]!;
    top.fill(-Infinity);
    for (let c = 0; c < cand.length && ub[c]! >= top[0]!; c++) {
      keepTop(top, dot(queries, (s + i) * d, refs, cand[c]! * d, d));
      dots++;
    }
    out[s + i] = top[0]!;
  }
  return dots;
}

/** The k-th largest similarity of each query to the refs (skipping ref exclude[i] for query i), or undefined when
 * the sizes are too small for the index to pay or the refs proved not prunable (the caller then takes the full
 * product). */
export function kthSimilarityPruned(
  refs: Float32Array,
  queries: Float32Array,
  d: number,
  k: number,
  exclude?: Int32Array,
): Float32Array | undefined {
  const nRef = refs.length / d;
  const nq = queries.length / d;
  if (nRef < MIN_REFS || d < MIN_DIM || k > nRef - 1) return undefined;
  const t = now();
  const index = indexFor(refs, d);
  let tl = lap('knn: index', t);
  if (!index) return undefined;
  const { p, projT, residual } = index;
  const qProj = project(queries, d, index.basis, p);
  const qRes = residualNorms(queries, qProj, d, p);
  const out = new Float32Array(nq);
  const chunk = Math.max(1, Math.floor(4_000_000 / nRef));
  const RpT = tf.tensor2d(projT, [p, nRef]);
  try {
    tl = lap('knn: project queries', tl);
    for (let s = 0; s < nq; s += chunk) {
      const b = Math.min(chunk, nq - s);
      const tA = tf.tidy(() => tf.matMul(tf.tensor2d(qProj.subarray(s * p, (s + b) * p), [b, p]), RpT));
      const A = tA.dataSync() as Float32Array;
      tA.dispose();
      tl = lap('knn: bound product', tl);
      const ex = exclude ? (i: number): number => exclude[s + i]! : undefined;
      const found = blockCandidates(A, b, residual, qRes.subarray(s, s + b), k, ex);
      const { total } = found;
      tl = lap('knn: bound scan', tl);
      knnStats.pairs += b * nRef;
      if (total > MAX_CANDIDATE_SHARE * b * nRef) {
        knnStats.fullBlocks++;
        // Pruning did not pay (features far from low-rank): this block and every later one by the full product.
        index.prunable = false;
        out.set(kthSimilarityFull(refs, queries.subarray(s * d), d, k, exclude?.subarray(s)), s);
        break;
      }
      knnStats.candidates += total;
      knnStats.exactDots += exactOverCandidates(refs, queries, d, k, s, found, out);
      tl = lap('knn: exact dots', tl);
    }
  } finally {
    RpT.dispose();
  }
  return out;
}
