import { describe, expect, it } from 'vitest';
import { allNeighbours, buildIndex, ExactIndex } from './neighbour-index.js';
import { clusteredVectors } from './testing.js';
import { matrix, normaliseRows, row } from './vectors.js';

/** Brute force over every pair, the reference every method must agree with. */
function reference(m: ReturnType<typeof clusteredVectors>, i: number, k: number): number[] {
  const sims: [number, number][] = [];
  for (let j = 0; j < m.rows; j++) {
    if (j === i) continue;
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[i * m.cols + c]! * m.data[j * m.cols + c]!;
    sims.push([j, s]);
  }
  return sims
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([j]) => j);
}

describe('neighbour index', () => {
  const m = clusteredVectors(20, 30, 24, 0.3, 3);

  it('exact search finds the brute-force neighbours, itself excluded, most similar first', () => {
    const all = new ExactIndex(m).searchAll(5);
    for (const i of [0, 17, 301, 599]) {
      expect(all[i]!.map((n) => n.row)).toEqual(reference(m, i, 5));
      const sims = all[i]!.map((n) => n.similarity);
      expect([...sims].sort((a, b) => b - a)).toEqual(sims);
    }
  });

  it('a query finds the row itself first at similarity 1', () => {
    const index = new ExactIndex(m);
    const hit = index.search(row(m, 42), 3);
    expect(hit[0]!.row).toBe(42);
    expect(hit[0]!.similarity).toBeCloseTo(1, 5);
  });

  for (const force of ['exact-native', 'usearch', 'hnswlib'] as const) {
    it(`${force} agrees with exact search on clustered data (recall@5 >= 0.95)`, () => {
      const approx = allNeighbours(m, 5, { force, quantization: 'f32', threads: 1 });
      const exact = allNeighbours(m, 5, { force: 'exact' });
      let hits = 0;
      approx.forEach((list, i) => {
        const truth = new Set(exact[i]!.map((n) => n.row));
        hits += list.filter((n) => truth.has(n.row)).length;
        expect(list.some((n) => n.row === i)).toBe(false);
      });
      expect(hits / (m.rows * 5)).toBeGreaterThanOrEqual(0.95);
      const index = buildIndex(m, { force, threads: 1 });
      expect(index.search(row(m, 7), 1)[0]!.row).toBe(7);
    });
  }

  it('handles one vector and fewer vectors than k', () => {
    const one = normaliseRows(matrix(new Float32Array([1, 2, 3]), 1, 3));
    expect(allNeighbours(one, 5)).toEqual([[]]);
    expect(new ExactIndex(one).search(row(one, 0), 5)).toHaveLength(1);
    expect(allNeighbours(m, 5, { force: 'usearch', threads: 1 })[0]).toHaveLength(5);
  });
});
