import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cholesky, invertLower, whitening } from './whiten.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cholesky and invertLower', () => {
  it('give L with L L^T = A and its inverse', () => {
    const d = 5;
    const b = Float64Array.from({ length: d * d }, (_, i) => Math.sin(i + 1));
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        for (let k = 0; k < d; k++) a[i * d + j]! += b[i * d + k]! * b[j * d + k]!;
        if (i === j) a[i * d + j]! += 1;
      }
    const L = cholesky(a, d);
    const W = invertLower(L, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let ll = 0;
        let li = 0;
        for (let k = 0; k < d; k++) {
          ll += L[i * d + k]! * L[j * d + k]!;
          li += L[i * d + k]! * W[k * d + j]!;
        }
        expect(ll).toBeCloseTo(a[i * d + j]!, 9);
        expect(li).toBeCloseTo(i === j ? 1 : 0, 9);
        if (j > i) expect(W[i * d + j]).toBe(0);
      }
  });
});

describe('whitening', () => {
  /** A covariance like the pooled features': a few strong directions over a floor (shrinkage), condition ~1e3. */
  function covariance(d: number): Float64Array {
    const rank = 20;
    const b = Float64Array.from({ length: d * rank }, (_, i) => Math.sin(0.7 * i + 1) * (1 + (i % rank)));
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += b[i * rank + k]! * b[j * rank + k]!;
        a[i * d + j] = a[j * d + i] = s / rank + (i === j ? 0.5 : 0);
      }
    return a;
  }

  it('by blocks gives the unblocked L^-1 to float32 precision (times the condition), across block edges', () => {
    const d = 150; // not a multiple of the block size
    const a = covariance(d);
    const exact = invertLower(cholesky(a, d), d);
    const blocked = whitening(a, d, 1);
    let scale = 0;
    for (const v of exact) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < d * d; i++) expect(Math.abs(blocked[i]! - exact[i]!)).toBeLessThan(5e-5 * scale);
    // Lower triangular, and W A W^T = I.
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) expect(blocked[i * d + j]).toBe(0);
    for (const [i, j] of [
      [0, 0],
      [70, 70],
      [149, 3],
      [64, 63],
    ] as const) {
      let s = 0;
      for (let p = 0; p < d; p++)
        for (let q = 0; q < d; q++) s += blocked[i * d + p]! * a[p * d + q]! * blocked[j * d + q]!;
      expect(s).toBeCloseTo(i === j ? 1 : 0, 3);
    }
  });

  it('by recursive halving at the default size gives the Mahalanobis distances of the unblocked W', () => {
    const d = 300; // above BLOCKED_FROM, three levels deep, uneven halves
    const a = covariance(d);
    const exact = invertLower(cholesky(a, d), d);
    const fast = whitening(a, d);
    const x = Float64Array.from({ length: d }, (_, j) => Math.cos(1.3 * j) * 2);
    const dist = (w: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < d; i++) {
        let z = 0;
        for (let j = 0; j <= i; j++) z += w[i * d + j]! * x[j]!;
        s += z * z;
      }
      return s;
    };
    expect(Math.abs(dist(fast) - dist(exact))).toBeLessThan(1e-4 * dist(exact));
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) expect(fast[i * d + j]).toBe(0);
  });

  it('refuses a matrix that is not positive definite, blocked or not', () => {
    const d = 3;
    const a = Float64Array.from([1, 2, 0, 2, 1, 0, 0, 0, 1]);
    expect(() => whitening(a, d)).toThrow(/positive definite/);
    expect(() => whitening(a, d, 1)).toThrow(/positive definite/);
  });
});
