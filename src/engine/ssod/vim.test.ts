import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearLogits } from './posthoc.js';
import { scatterStats } from './scorers.js';
import { createRng, normals } from './rng.js';
import {
  fitVim,
  principalSubspace,
  residualNorms,
  secondMomentAbout,
  vimOrigin,
  vimScores,
  vimStartBasis,
} from './vim.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('vimOrigin', () => {
  it('is a point where every logit is zero', () => {
    const rng = createRng(1);
    const head = { d: 6, m: 3, w: normals(18, 1, rng), b: normals(3, 1, rng) };
    const l = linearLogits(head, vimOrigin(head));
    for (const v of l) expect(Math.abs(v)).toBeLessThan(1e-4);
  });
});

describe('principalSubspace', () => {
  it('finds the top eigenspace of a diagonal matrix', () => {
    const d = 6;
    const M = new Float64Array(d * d);
    [1, 9, 0.5, 7, 0.1, 0.2].forEach((v, i) => (M[i * d + i] = v));
    const Q = principalSubspace(M, d, 2, 30);
    // Rows 1 and 3 (eigenvalues 9 and 7) carry the whole basis.
    const rowNorm = (r: number): number => Math.hypot(Q[r * 2]!, Q[r * 2 + 1]!);
    expect(rowNorm(1)).toBeCloseTo(1, 2);
    expect(rowNorm(3)).toBeCloseTo(1, 2);
    expect(rowNorm(0) + rowNorm(2) + rowNorm(4) + rowNorm(5)).toBeLessThan(1e-3);
  });
});

describe('secondMomentAbout', () => {
  it('equals the direct sum of outer products about the point', () => {
    const rng = createRng(2);
    const d = 3;
    const x = normals(10 * d, 1, rng);
    const labels = [0, 1, 0, 1, 0, 1, 1, 1, 0, 0];
    const s = scatterStats(x, labels, d, 2, Float64Array.from([0.3, -0.2, 1]));
    const p = Float32Array.from([1, 2, -1]);
    const M = secondMomentAbout(s, p);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let direct = 0;
        for (let i = 0; i < 10; i++) direct += (x[i * d + a]! - p[a]!) * (x[i * d + b]! - p[b]!);
        expect(M[a * d + b]).toBeCloseTo(direct / 10, 4);
      }
  });
});

describe('ViM', () => {
  // Training features live in the first two dimensions; the classifier reads only those.
  const d = 4;
  const head = { d, m: 2, w: Float32Array.from([2, -2, -2, 2, 0, 0, 0, 0]), b: Float32Array.from([0, 0]) };
  const rng = createRng(4);
  const n = 200;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const e = normals(4, 1, rng);
    x[i * d] = e[0]!;
    x[i * d + 1] = e[1]!;
    x[i * d + 2] = 0.1 * e[2]!;
    x[i * d + 3] = 0.1 * e[3]!;
  }
  const stats = scatterStats(x, new Array<number>(n).fill(0), d, 1, new Float64Array(d));
  const vim = fitVim(head, stats, x);

  it('keeps half of the dimensions and the training plane as its principal subspace', () => {
    expect(vim.D).toBe(2);
    // In the plane: a residual of sampling noise only (the sample's plane tilts by ~0.1 / sqrt(n)); off it: all.
    const res = residualNorms(vim, Float32Array.from([3, -1, 0, 0, 0, 0, 0, 5]));
    expect(res[0]).toBeLessThan(0.03 * Math.hypot(3, 1));
    expect(res[1]).toBeCloseTo(5, 1);
  });
  it('lets a residual-only vector dominate: same logits, far larger OOD score', () => {
    const q = Float32Array.from([1, 0, 0, 0, 1, 0, 5, 0]);
    const s = vimScores(vim, q, linearLogits(head, q), 2);
    expect((s[1]! - s[0]!) / (vim.alpha * 5)).toBeCloseTo(1, 2);
    expect(s[1]).toBeGreaterThan(s[0]!);
  });
  it('scales the virtual logit to the mean max logit of the training rows', () => {
    const l = linearLogits(head, x);
    let maxMean = 0;
    for (let i = 0; i < n; i++) maxMean += Math.max(l[2 * i]!, l[2 * i + 1]!) / n;
    const res = residualNorms(vim, x);
    const resMean = res.reduce((a, b) => a + b, 0) / n;
    expect(vim.alpha * resMean).toBeCloseTo(maxMean, 3);
  });
});

describe('ViM from a warm start', () => {
  it('one iteration from the run-wide basis is as close to the converged fold subspace as five from random', () => {
    // A decaying spectrum; the "fold" holds four fifths of the run's rows, as a fold model does.
    const d = 40;
    const n = 1000;
    const rng = createRng(9);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const e = normals(d, 1, rng);
      for (let j = 0; j < d; j++) x[i * d + j] = e[j]! / (1 + j / 4);
    }
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const all = scatterStats(x, labels, d, 2, new Float64Array(d));
    const fold = scatterStats(x.subarray(0, 800 * d), labels.slice(0, 800), d, 2, new Float64Array(d));
    const head = { d, m: 2, w: normals(2 * d, 1, rng), b: Float32Array.of(0.3, -0.3) };
    const warm = fitVim(head, fold, x.subarray(0, 200 * d), vimStartBasis(all));
    const M = secondMomentAbout(fold, warm.origin);
    const ref = principalSubspace(M, d, warm.D, 200);
    const q = x.subarray(800 * d);
    const b = residualNorms({ ...warm, principal: ref }, q);
    const error = (principal: Float32Array): number => {
      const a = residualNorms({ ...warm, principal }, q);
      let rel = 0;
      for (let i = 0; i < a.length; i++) rel += Math.abs(a[i]! - b[i]!) / b[i]! / a.length;
      return rel;
    };
    // Directions near the cut have nearly equal variance: neither start pins them, and a residual moves by a few
    // percent at most (the ranking it gives moves far less).
    expect(error(warm.principal)).toBeLessThan(0.1);
    expect(error(warm.principal)).toBeLessThanOrEqual(error(principalSubspace(M, d, warm.D, 5)) + 0.005);
  });
});

describe('ViM dimension across a run', () => {
  it('keeps the run basis dimension in every model, set by the smallest model', () => {
    const d = 10;
    const rng = createRng(11);
    const x = normals(20 * d, 1, rng);
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    const all = scatterStats(x, labels, d, 2, new Float64Array(d));
    // 20 rows would allow d / 2 = 5; a smallest model of 4 rows allows only 3.
    const start = vimStartBasis(all, 4);
    expect(start.length).toBe(d * 3);
    const fold = scatterStats(x.subarray(0, 16 * d), labels.slice(0, 16), d, 2, new Float64Array(d));
    const head = { d, m: 2, w: normals(2 * d, 1, rng), b: Float32Array.of(0, 0) };
    expect(fitVim(head, fold, x.subarray(0, 4 * d), start).D).toBe(3);
    expect(fitVim(head, fold, x.subarray(0, 4 * d)).D).toBe(5);
  });
});
