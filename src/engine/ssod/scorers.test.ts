import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addScatter,
  gaussianFromScatter,
  scatterStats,
  fitGaussian,
  fuseScores,
  gaussianScores,
  knnScores,
  l2NormaliseRows,
  logitScores,
  robustScale,
} from './scorers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('logit scorers', () => {
  it('turn MSP, MaxLogit and Energy into OOD scores', () => {
    const s = logitScores(Float32Array.from([Math.log(3), 0, 0, 0]), 2, 2);
    expect(s.msp[0]).toBeCloseTo(-0.75, 6);
    expect(s.msp[1]).toBeCloseTo(-0.5, 6);
    expect(s.maxlogit[0]).toBeCloseTo(-Math.log(3), 6);
    expect(s.energy[0]).toBeCloseTo(-Math.log(4), 6);
    expect(s.energy[1]).toBeCloseTo(-Math.log(2), 6);
  });
});

describe('knnScores', () => {
  it('is 1 - cosine to the k-th nearest reference', () => {
    const refs = l2NormaliseRows(Float32Array.from([1, 0, 0, 1, -1, 0]), 2);
    const q = l2NormaliseRows(Float32Array.from([1, 0, 1, 1]), 2);
    const k1 = knnScores(refs, q, 2, 1);
    expect(k1[0]).toBeCloseTo(0, 6);
    expect(k1[1]).toBeCloseTo(1 - Math.SQRT1_2, 6);
    const k2 = knnScores(refs, q, 2, 2);
    expect(k2[0]).toBeCloseTo(1, 6); // second nearest of (1,0) is (0,1): cosine 0
  });
  it('can skip each query itself', () => {
    const refs = l2NormaliseRows(Float32Array.from([1, 0, 0.8, 0.6, 0, 1]), 2);
    const s = knnScores(refs, refs, 2, 1, Int32Array.from([0, 1, 2]));
    expect(s[0]).toBeCloseTo(1 - 0.8, 6);
    expect(s[2]).toBeCloseTo(1 - 0.6, 6);
  });
});

describe('Gaussian (Mahalanobis)', () => {
  it('gives the squared Mahalanobis distance to the nearest class mean', () => {
    // Class 0 around (0,0), class 1 around (10,0); within-class spread 1 in x, 2 in y (variance 1 and 4).
    const pts: number[] = [];
    const labels: number[] = [];
    for (const [cx, y] of [
      [0, 0],
      [10, 1],
    ] as const)
      for (const [dx, dy] of [
        [1, 0],
        [-1, 0],
        [0, 2],
        [0, -2],
      ]) {
        pts.push(cx + dx!, dy!);
        labels.push(y);
      }
    const g = fitGaussian(Float32Array.from(pts), labels, 2, 2, 0);
    // covariance: var x = 4/(8-2) = 2/3, var y = 16/6 = 8/3
    const s = gaussianScores(g, Float32Array.from([0, 0, 1, 0, 0, 4, 10, 0]));
    expect(s[0]).toBeCloseTo(0, 4);
    expect(s[1]).toBeCloseTo(1 / (2 / 3), 3);
    expect(s[2]).toBeCloseTo(16 / (8 / 3), 3);
    expect(s[3]).toBeCloseTo(0, 3);
  });
});

describe('Gaussian from summed scatter statistics', () => {
  it('equals fitGaussian on the union of the parts', () => {
    const d = 4;
    const n = 30;
    const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 1.7) + (i % d === 0 ? 3 : 0));
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const centre = Float64Array.from([1, 0.5, -0.2, 0]);
    const a = scatterStats(x.subarray(0, 12 * d), labels.slice(0, 12), d, 3, centre);
    const b = scatterStats(x.subarray(12 * d), labels.slice(12), d, 3, centre);
    const g1 = gaussianFromScatter(addScatter([a, b]), 0.1);
    const g2 = fitGaussian(x, labels, d, 3, 0.1);
    g1.means.forEach((v, i) => expect(v).toBeCloseTo(g2.means[i]!, 4));
    g1.whiten.forEach((v, i) => expect(v).toBeCloseTo(g2.whiten[i]!, 3));
  });
});

describe('fuseScores', () => {
  it('averages robust z-scores', () => {
    const a = robustScale([0, 1, 2, 3, 4]);
    expect(a).toEqual({ median: 2, iqr: 2 });
    const f = fuseScores([
      { scores: [2, 6], scale: a },
      { scores: [10, 10], scale: { median: 10, iqr: 5 } },
    ]);
    expect(Array.from(f)).toEqual([0, 1]);
  });
});
