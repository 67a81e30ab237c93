import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import {
  calibratedJoint,
  confidentJoint,
  findLabelIssues,
  perClassThresholds,
  probsFromTop,
  type ProbabilityTable,
} from './label-issues.js';

function table(rows: number[][]): ProbabilityTable {
  return { probs: new Float32Array(rows.flat()), n: rows.length, m: rows[0]!.length };
}

/** n images of m classes, probabilities from noisy logits favouring the true class; `flip` of the labels moved. */
function planted(
  n: number,
  m: number,
  flip: number,
  seed: number,
): { t: ProbabilityTable; labels: Int32Array; flipped: Set<number> } {
  const rng = createRng(seed);
  const probs = new Float32Array(n * m);
  const labels = new Int32Array(n);
  const flipped = new Set<number>();
  for (let i = 0; i < n; i++) {
    const y = i % m;
    const logits = normals(m, 1, rng);
    logits[y] = logits[y]! + 3;
    const mx = Math.max(...logits);
    const e = Array.from(logits, (v) => Math.exp(v - mx));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => (probs[i * m + j] = v / z));
    labels[i] = y;
    if (rng() < flip) {
      labels[i] = (y + 1 + Math.floor(rng() * (m - 1))) % m;
      flipped.add(i);
    }
  }
  return { t: { probs, n, m }, labels, flipped };
}

describe('confident learning', () => {
  it('computes thresholds, the confident joint and its calibration by hand', () => {
    const t = table([
      [0.9, 0.1],
      [0.7, 0.3],
      [0.2, 0.8],
      [0.6, 0.4],
    ]);
    const labels = new Int32Array([0, 0, 1, 1]);
    const th = perClassThresholds(t, labels);
    expect(th[0]).toBeCloseTo(0.8);
    expect(th[1]).toBeCloseTo(0.6);
    // Rows 1 and 3 reach no threshold (0.7 and 0.6 < 0.8; 0.3 and 0.4 < 0.6), so they are not counted.
    const { joint, trueClass } = confidentJoint(t, labels, th);
    expect([...trueClass]).toEqual([0, -1, 1, -1]);
    expect(joint).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(
      calibratedJoint(
        [
          [3, 1],
          [0, 0],
        ],
        new Int32Array([0, 0, 0, 0, 1, 1, 1, 1]),
      ),
    ).toEqual([
      [0.375, 0.125],
      [0, 0.5],
    ]);
  });

  it('finds planted label noise with high precision and recall', () => {
    const { t, labels, flipped } = planted(3000, 6, 0.05, 1);
    const result = findLabelIssues(t, labels);
    const issues = result.ranked.filter((r) => r.isIssue).map((r) => r.index);
    const hits = issues.filter((i) => flipped.has(i)).length;
    expect(hits / issues.length).toBeGreaterThan(0.8);
    expect(hits / flipped.size).toBeGreaterThan(0.8);
    expect(result.estimatedErrors).toBeGreaterThan(flipped.size * 0.7);
    expect(result.estimatedErrors).toBeLessThan(flipped.size * 1.3);
    // The top-k by rank: precision at k = number planted.
    const topK = result.ranked.slice(0, flipped.size).filter((r) => flipped.has(r.index)).length;
    expect(topK / flipped.size).toBeGreaterThan(0.8);
    // A moved label's suggestion is mostly its true class (i % 6).
    const right = result.ranked.filter((r) => r.isIssue && flipped.has(r.index) && r.suggested === r.index % 6).length;
    expect(right / hits).toBeGreaterThan(0.9);
  });
});

describe('label-issue rankings', () => {
  it('flags nothing on clean, confident data and ranks by the chosen score', () => {
    const { t, labels } = planted(600, 3, 0, 2);
    const clean = findLabelIssues(t, labels, 'self-confidence');
    expect(clean.ranked.filter((r) => r.isIssue).length).toBeLessThan(6);
    const scores = clean.ranked.filter((r) => !r.isIssue).map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(clean.ranked[0]!.score).toBeCloseTo(
      1 - t.probs[clean.ranked[0]!.index * 3 + labels[clean.ranked[0]!.index]!]!,
      6,
    );
  });

  it('refuses a table that does not match its labels', () => {
    expect(() => findLabelIssues(table([[0.5, 0.5]]), new Int32Array([2]))).toThrow(RangeError);
    expect(() => findLabelIssues({ probs: new Float32Array(3), n: 1, m: 3 }, new Int32Array([0, 1]))).toThrow(
      RangeError,
    );
  });

  it('rebuilds full rows from top-k lists', () => {
    const t = probsFromTop(
      [
        [
          [2, 0.6],
          [0, 0.3],
        ],
      ],
      4,
    );
    expect(Array.from(t.probs, (v) => Number(v.toFixed(3)))).toEqual([0.3, 0.05, 0.6, 0.05]);
    const exact = probsFromTop(
      [
        [
          [1, 0.7],
          [0, 0.2],
          [2, 0.1],
        ],
      ],
      3,
    );
    expect(Array.from(exact.probs, (v) => Number(v.toFixed(3)))).toEqual([0.2, 0.7, 0.1]);
  });
});
