import { describe, expect, it } from 'vitest';
import { auprIn, auprOut, auroc, fpr95, fprAtTpr, idAccuracy, rocCurve, thresholdAtPassRate } from './index.js';

describe('auroc', () => {
  it('is 1 for perfect separation and 0 when inverted', () => {
    expect(auroc([0, 1, 2], [3, 4])).toBe(1);
    expect(auroc([3, 4], [0, 1, 2])).toBe(0);
  });
  it('counts ties as one half (hand-computed)', () => {
    // pairs (id, ood): id=[1,2,3], ood=[2,4]. 1<2 ✓, 1<4 ✓, 2=2 ½, 2<4 ✓, 3>2 ✗, 3<4 ✓ → 4.5/6
    expect(auroc([1, 2, 3], [2, 4])).toBeCloseTo(4.5 / 6, 12);
    expect(auroc([5, 5], [5, 5, 5])).toBeCloseTo(0.5, 12);
  });
});

describe('rocCurve', () => {
  it('moves tied scores together', () => {
    const pts = rocCurve([1, 2], [2, 3]);
    expect(pts.map((p) => [p.tpr, p.fpr])).toEqual([
      [0, 0],
      [0.5, 0],
      [1, 0.5],
      [1, 1],
    ]);
  });
});

describe('thresholdAtPassRate / fpr95', () => {
  it('picks the smallest threshold passing the rate', () => {
    const id = Array.from({ length: 20 }, (_, i) => i); // 0..19; 95% = 19 items pass at t = 18
    expect(thresholdAtPassRate(id, 0.95)).toBe(18);
    expect(thresholdAtPassRate(id, 1)).toBe(19);
    expect(thresholdAtPassRate([3, 1, 2], 0.5)).toBe(2);
  });
  it('counts OOD at the threshold as passing (ties pass)', () => {
    const id = Array.from({ length: 20 }, (_, i) => i);
    // t = 18: OOD scores 18 (tie, passes), 18.5, 25 → 1/3
    expect(fpr95(id, [18, 18.5, 25])).toBeCloseTo(1 / 3, 12);
    expect(fprAtTpr([0, 1, 2, 3], [1.5, 3, 4], 0.5)).toBeCloseTo(0, 12);
    expect(fprAtTpr([0, 1, 2, 3], [1, 3, 4], 0.5)).toBeCloseTo(1 / 3, 12);
  });
});

describe('aupr', () => {
  it('is 1 for perfect separation', () => {
    expect(auprIn([0, 1], [2, 3])).toBeCloseTo(1, 12);
    expect(auprOut([0, 1], [2, 3])).toBeCloseTo(1, 12);
  });
  it('matches hand values with interleaving and ties', () => {
    // OOD positive, ranked by score desc: 4(ood) 3(id) 2(ood) 1(id) → AP = ½·1 + ½·(2/3)
    expect(auprOut([3, 1], [4, 2])).toBeCloseTo(0.5 + 1 / 3, 12);
    // ID positive, lowest first: 1(id) 2(ood) 3(id) 4(ood) → ½·1 + ½·(2/3)
    expect(auprIn([3, 1], [4, 2])).toBeCloseTo(0.5 + 1 / 3, 12);
    // all tied: one block, precision = 1/2
    expect(auprOut([1, 1], [1, 1])).toBeCloseTo(0.5, 12);
  });
});

describe('idAccuracy', () => {
  it('counts matches', () => {
    expect(idAccuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
  });
});
