import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backgroundGaussian,
  fdbdScores,
  genScores,
  linearLogits,
  rawLinearHead,
  rmdsScores,
  scatterMean,
} from './posthoc.js';
import { gaussianScores, scatterStats } from './scorers.js';
import { createRng, normals } from './rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('genScores', () => {
  it('is 0 for a one-hot prediction and largest for a uniform one', () => {
    const g = genScores(Float32Array.from([1000, 0, 0, 0, 0, 0, 1, 0.5, 0]), 3, 3);
    expect(g[0]).toBeCloseTo(0, 6);
    expect(g[1]).toBeCloseTo(3 * Math.pow(1 / 3, 0.1) * Math.pow(2 / 3, 0.1), 6);
    expect(g[2]).toBeGreaterThan(0);
    expect(g[2]).toBeLessThan(g[1]!);
  });
  it('reads only the top M probabilities', () => {
    // Probabilities 0.5, 0.25, 0.25 (logits ln 2, 0, 0): with M = 1 only the 0.5 counts.
    const g = genScores(Float32Array.from([Math.log(2), 0, 0]), 1, 3, 0.1, 1);
    expect(g[0]).toBeCloseTo(Math.pow(0.5, 0.1) * Math.pow(0.5, 0.1), 6);
  });
});

describe('rawLinearHead', () => {
  it('gives the same logits on raw features as the classifier on standardised ones', () => {
    const rng = createRng(3);
    const d = 5;
    const m = 3;
    const w = normals(d * m, 1, rng);
    const b = normals(m, 1, rng);
    const stats = { mean: normals(d, 1, rng), std: Float32Array.from(normals(d, 1, rng), (v) => 0.5 + Math.abs(v)) };
    const x = normals(4 * d, 2, rng);
    const z = x.map((v, i) => (v - stats.mean[i % d]!) / stats.std[i % d]!);
    const a = linearLogits({ d, m, w, b }, z);
    const c = linearLogits(rawLinearHead(w, b, stats, d, m), x);
    for (let i = 0; i < a.length; i++) expect(c[i]).toBeCloseTo(a[i]!, 4);
  });
});

describe('fdbdScores', () => {
  const head = { d: 2, m: 2, w: Float32Array.from([1, -1, 0, 0]), b: Float32Array.from([0, 0]) };
  it('is 0 on the decision boundary', () => {
    // Logits (x, -x): the boundary is x = 0.
    const x = Float32Array.from([0, 3]);
    const s = fdbdScores(head, x, linearLogits(head, x), Float32Array.from([1, 0]));
    expect(Math.abs(s[0]!)).toBe(0);
  });
  it('is the boundary distance over the distance to the mean, negated', () => {
    const x = Float32Array.from([2, 0]);
    // |l0 - l1| = 4, ||w0 - w1|| = 2: distance 2; distance to the mean (0, 1) is sqrt(5).
    const s = fdbdScores(head, x, linearLogits(head, x), Float32Array.from([0, 1]));
    expect(s[0]).toBeCloseTo(-2 / Math.sqrt(5), 6);
  });
  it('ranks a point far from the boundary and near the data as more ID than one near the boundary', () => {
    const x = Float32Array.from([3, 0, 0.2, 0]);
    const s = fdbdScores(head, x, linearLogits(head, x), Float32Array.from([0, 0.5]));
    expect(s[0]).toBeLessThan(s[1]!);
  });
});

describe('RMDS', () => {
  it('is the class distance minus the class-agnostic one, and removes a shared offset direction', () => {
    const rng = createRng(5);
    const d = 3;
    const n = 400;
    const x = new Float32Array(n * d);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = i % 2;
      labels.push(y);
      const e = normals(d, 1, rng);
      // Classes differ along axis 0; axis 2 has a large spread shared by both.
      x[i * d] = (y ? 2 : -2) + 0.3 * e[0]!;
      x[i * d + 1] = 0.3 * e[1]!;
      x[i * d + 2] = 5 * e[2]!;
    }
    const s = scatterStats(x, labels, d, 2, new Float64Array(d));
    const bg = backgroundGaussian(s, 0);
    expect(bg.classes).toBe(1);
    const mean = scatterMean(s);
    expect(Array.from(bg.means)).toEqual(Array.from(mean));
    const q = Float32Array.from([2, 0, 0, 2, 0, 10, 0, 0, 0]);
    const bgScores = gaussianScores(bg, q);
    const classMin = Float32Array.from([0.1, 4.5, 44]);
    const r = rmdsScores(classMin, bgScores);
    for (let i = 0; i < 3; i++) expect(r[i]).toBeCloseTo(classMin[i]! - bgScores[i]!, 5);
    // The class-agnostic Gaussian sees the point between the classes (0, 0, 0) as typical and the far one on the
    // wide shared axis as atypical: subtracting it lowers the second more.
    expect(bgScores[1]! - bgScores[2]!).toBeGreaterThan(0);
  });
});
