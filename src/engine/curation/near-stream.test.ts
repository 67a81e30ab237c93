import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { streamNearCandidates } from './near-stream.js';
import { matrixSource } from './pooled-source.js';
import { openOrBuildGraph } from './saved-graph.js';
import { clusteredVectors } from './testing.js';
import { dot, normaliseRows, type Matrix } from './vectors.js';

/** Clustered rows whose last `copies` rows are near copies of the first `copies`. */
function planted(clusters: number, copies: number, seed: number): Matrix {
  const m = clusteredVectors(clusters, 50, 32, 0.3, seed);
  const rng = createRng(seed + 1);
  for (let c = 0; c < copies; c++) {
    const noise = normals(32, 0.003, rng);
    const dst = (m.rows - copies + c) * 32;
    for (let j = 0; j < 32; j++) m.data[dst + j] = m.data[c * 32 + j]! + noise[j]!;
  }
  return normaliseRows(m);
}

/** Every pair at or above minCosine by brute force, missing rows left out: what the stream must return. */
function reference(m: Matrix, minCosine: number, missing: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < m.rows; a++) {
    for (let b = a + 1; b < m.rows; b++) {
      if (missing.includes(a) || missing.includes(b)) continue;
      if (dot(m.data, a * m.cols, m.data, b * m.cols, m.cols) >= minCosine) out.push([a, b]);
    }
  }
  return out;
}

describe('streamed near-duplicate candidates', () => {
  const m = planted(30, 20, 4);
  const missing = [10, 1489];

  it('finds through the buckets exactly the pairs brute force finds, reading a chunk at a time', async () => {
    const progress = new Set<string>();
    const pairs = await streamNearCandidates(matrixSource(m, missing), 0.99, {
      chunkRows: 200,
      buckets: { threads: 1, dims: 16 },
      onProgress: (p) => progress.add(p.phase),
    });
    const want = reference(m, 0.99, missing);
    expect(want).toHaveLength(18); // 20 planted, two of them with a row missing
    expect(pairs.map((p) => [p.a, p.b])).toEqual(want);
    for (const p of pairs) expect(p.similarity).toBeCloseTo(dot(m.data, p.a * 32, m.data, p.b * 32, 32), 5);
    expect([...progress]).toEqual(['read-features', 'project', 'buckets', 'neighbours', 'confirm']);
  });

  it('finds through the buckets every pair brute force finds when copies lie anywhere down to the threshold', async () => {
    const graded = clusteredVectors(40, 50, 32, 0.6, 12);
    const rng = createRng(13);
    // Copies of rows 0..59 over rows 1940..1999, from nearly identical to well below the threshold.
    for (let c = 0; c < 60; c++) {
      const noise = normals(32, 0.002 + 0.001 * c, rng);
      const dst = (graded.rows - 60 + c) * 32;
      for (let j = 0; j < 32; j++) graded.data[dst + j] = graded.data[c * 32 + j]! + noise[j]!;
    }
    const unit = normaliseRows(graded);
    const want = reference(unit, 0.95, []);
    expect(want.length).toBeGreaterThan(25);
    expect(want.length).toBeLessThan(60);
    const pairs = await streamNearCandidates(matrixSource(unit), 0.95, { buckets: { threads: 1, dims: 16 } });
    expect(pairs.map((p) => [p.a, p.b])).toEqual(want);
  });

  it('finds the same pairs with the buckets split over two threads', async () => {
    const one = await streamNearCandidates(matrixSource(m, missing), 0.99, { buckets: { threads: 1, dims: 16 } });
    const two = await streamNearCandidates(matrixSource(m, missing), 0.99, { buckets: { threads: 2, dims: 16 } });
    expect(two).toEqual(one);
    expect(two).toHaveLength(18);
  });

  it('finds through the graph exactly the pairs brute force finds', async () => {
    const progress = new Set<string>();
    const pairs = await streamNearCandidates(matrixSource(m, missing), 0.99, {
      method: 'graph',
      chunkRows: 200,
      graph: { threads: 1 },
      onProgress: (p) => progress.add(p.phase),
    });
    expect(pairs.map((p) => [p.a, p.b])).toEqual(reference(m, 0.99, missing));
    expect([...progress]).toEqual(['index', 'neighbours', 'confirm']);
  });

  it('gives the same pairs when the rows to re-score exactly do not fit at once', async () => {
    const once = await streamNearCandidates(matrixSource(m, missing), 0.99, { buckets: { threads: 1 } });
    const phases: number[] = [];
    const batched = await streamNearCandidates(matrixSource(m, missing), 0.99, {
      chunkRows: 333,
      rescoreRows: 5,
      buckets: { threads: 1 },
      onProgress: (p) => p.phase === 'confirm' && phases.push(p.done),
    });
    expect(batched).toEqual(once);
    expect(phases.length).toBeGreaterThan(5);
  });

  it('searches the graph the caller keeps (the saved one): built by the first search, opened by the next', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ssod-near-graph-'));
    try {
      const place = { cacheDir: dir, backboneKey: 'test:key', shas: Array.from({ length: m.rows }, (_, i) => `${i}`) };
      const built: boolean[] = [];
      const openGraph = async () => {
        const g = await openOrBuildGraph(matrixSource(m, missing), place, { threads: 1 });
        built.push(g.built);
        return g.index;
      };
      const first = await streamNearCandidates(matrixSource(m, missing), 0.99, { chunkRows: 200, openGraph });
      const again = await streamNearCandidates(matrixSource(m, missing), 0.99, { openGraph });
      expect(built).toEqual([true, false]);
      expect(first.map((p) => [p.a, p.b])).toEqual(reference(m, 0.99, missing));
      expect(again).toEqual(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('searches a small set by brute force and still leaves out rows without features', async () => {
    const small = planted(6, 5, 9);
    const pairs = await streamNearCandidates(matrixSource(small, [0]), 0.99);
    expect(pairs.map((p) => [p.a, p.b])).toEqual(reference(small, 0.99, [0]));
    expect(pairs).toHaveLength(4);
  });
});
