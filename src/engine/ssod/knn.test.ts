import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adoptKnnIndex, knnStats, kthSimilarityFull, kthSimilarityPruned, sharedKnnBasis } from './knn.js';
import { createRng, normals } from './rng.js';
import { l2NormaliseRows } from './scorers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rows near a low-rank subspace plus noise of the given size, L2-normalised (like pooled CNN features). */
function lowRank(n: number, d: number, rank: number, noise: number, rng: () => number): Float32Array {
  const basis = normals(rank * d, 1, rng);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = normals(rank, 1, rng);
    const e = normals(d, noise, rng);
    for (let j = 0; j < d; j++) {
      let v = e[j]!;
      for (let r = 0; r < rank; r++) v += c[r]! * basis[r * d + j]!;
      x[i * d + j] = v;
    }
  }
  return l2NormaliseRows(x, d);
}

function bruteKth(refs: Float32Array, q: Float32Array, d: number, k: number, exclude?: Int32Array): number[] {
  const nRef = refs.length / d;
  const out: number[] = [];
  for (let i = 0; i < q.length / d; i++) {
    const sims: number[] = [];
    for (let j = 0; j < nRef; j++) {
      if (exclude && exclude[i] === j) continue;
      let s = 0;
      for (let h = 0; h < d; h++) s += q[i * d + h]! * refs[j * d + h]!;
      sims.push(s);
    }
    sims.sort((a, b) => b - a);
    out.push(sims[k - 1]!);
  }
  return out;
}

/** The pruned search's k-th similarities equal brute force, and the bounds did the work: no full product, few
 * exact dot products (at least k a query, at most the candidates the bounds left). */
function expectPrunedExact(refs: Float32Array, q: Float32Array, d: number, k: number): void {
  Object.assign(knnStats, { pairs: 0, candidates: 0, exactDots: 0, fullBlocks: 0 });
  const got = kthSimilarityPruned(refs, q, d, k)!;
  expect(knnStats.fullBlocks).toBe(0);
  expect(knnStats.candidates).toBeLessThan(0.05 * knnStats.pairs);
  expect(knnStats.exactDots).toBeGreaterThanOrEqual((k * q.length) / d);
  expect(knnStats.exactDots).toBeLessThanOrEqual(knnStats.candidates);
  bruteKth(refs, q, d, k).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
}

describe('kthSimilarityPruned', () => {
  it('gives the exact k-th similarity, with and without excluding each query itself', () => {
    const rng = createRng(5);
    const d = 256;
    const refs = lowRank(2100, d, 40, 0.05, rng);
    const q = Float32Array.from(refs.subarray(0, 60 * d));
    expectPrunedExact(refs, q, d, 10);
    const ex = Int32Array.from({ length: 60 }, (_, i) => i);
    const got2 = kthSimilarityPruned(refs, q, d, 3, ex)!;
    bruteKth(refs, q, d, 3, ex).forEach((v, i) => expect(got2[i]).toBeCloseTo(v, 5));
  });

  it('stays exact when the features are not low-rank (pruning fails, full product)', () => {
    const rng = createRng(6);
    const d = 256;
    const refs = lowRank(2000, d, 1, 1, rng);
    const q = lowRank(20, d, 1, 1, rng);
    Object.assign(knnStats, { pairs: 0, candidates: 0, exactDots: 0, fullBlocks: 0 });
    const got = kthSimilarityPruned(refs, q, d, 10)!;
    bruteKth(refs, q, d, 10).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(knnStats.fullBlocks).toBeGreaterThan(0);
    // The refs proved not prunable: later queries against them skip the bounds.
    expect(kthSimilarityPruned(refs, q, d, 10)).toBeUndefined();
  });

  it('full product gives the exact k-th similarity, skipping excluded rows', () => {
    const rng = createRng(8);
    const d = 16;
    const refs = lowRank(300, d, 4, 0.3, rng);
    const q = Float32Array.from(refs.subarray(0, 40 * d));
    const ex = Int32Array.from({ length: 40 }, (_, i) => i);
    const got = kthSimilarityFull(refs, q, d, 5, ex);
    bruteKth(refs, q, d, 5, ex).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    const plain = kthSimilarityFull(refs, q, d, 1);
    plain.forEach((v) => expect(v).toBeCloseTo(1, 5));
  });

  it('stays exact on a subset of the rows with the basis shared by the whole set (one basis per run)', () => {
    const rng = createRng(9);
    const d = 256;
    const all = lowRank(3000, d, 40, 0.05, rng);
    const shared = sharedKnnBasis(all, d)!;
    // A fold's references: every row but the first 600 (its held-out queries), in order.
    const which = Int32Array.from({ length: 2400 }, (_, i) => 600 + i);
    const refs = Float32Array.from(all.subarray(600 * d));
    adoptKnnIndex(refs, shared, which);
    expectPrunedExact(refs, Float32Array.from(all.subarray(0, 50 * d)), d, 10);
    // Every row (the all-data model's references).
    const allRefs = Float32Array.from(all);
    adoptKnnIndex(allRefs, shared);
    expectPrunedExact(allRefs, Float32Array.from(all.subarray(0, 20 * d)), d, 10);
    expect(() => adoptKnnIndex(refs, shared, which.subarray(1))).toThrow(/differ/);
    expect(() => adoptKnnIndex(refs, shared)).toThrow(/differ/);
    expect(sharedKnnBasis(all.subarray(0, 100 * d), d)).toBeUndefined();
  });

  it('declines small reference sets', () => {
    expect(kthSimilarityPruned(new Float32Array(300 * 256), new Float32Array(256), 256, 10)).toBeUndefined();
  });
});
