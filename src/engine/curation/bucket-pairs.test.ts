import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { searchBuckets, toPairs } from './bucket-pairs.js';
import type { Buckets } from './coarse-buckets.js';
import { Int8Rows } from './int8-rows.js';
import { ensureTensorBackend } from './tensor-backend.js';
import { normaliseVector } from './vectors.js';

describe('pairs inside buckets', () => {
  // 600 random unit rows, rows 300..329 near copies of rows 0..29; projected = the rows themselves (p = d).
  const d = 24;
  const n = 600;
  const rng = createRng(8);
  const vs = Array.from({ length: n }, () => normaliseVector(normals(d, 1, rng)));
  for (let c = 0; c < 30; c++) vs[300 + c] = normaliseVector(vs[c]!.map((x) => x + (rng() - 0.5) * 0.01));
  const proj = new Float32Array(n * d);
  const rows = new Int8Rows(n, d);
  vs.forEach((v, r) => {
    proj.set(v, r * d);
    rows.put(r, v, 0);
  });
  const want = Array.from({ length: 30 }, (_, c) => ({ a: c, b: 300 + c }));
  const space = { proj, p: d, k: 4, filter: { rows, radius2: 2 * (1 - 0.95) + 0.02, floor: 0.95 } };

  it('finds each planted pair once, also when one bucket is split again for being oversized', async () => {
    await ensureTensorBackend();
    // One bucket with every row (far above three times the mean of 11 buckets), ten with one row each.
    const count = 11;
    const start = Int32Array.from({ length: count + 1 }, (_, b) => (b === 0 ? 0 : n + b - 1));
    const members = Int32Array.from({ length: n + 10 }, (_, i) => (i < n ? i : i - n));
    const buckets: Buckets = { count, start, members, home: new Uint8Array(n + 10).fill(1) };
    const split = new Set<number>();
    searchBuckets(buckets, space, split, 2);
    expect(toPairs(split, n)).toEqual(want);
    const whole = new Set<number>();
    searchBuckets(buckets, space, whole, 0);
    expect(toPairs(whole, n)).toEqual(want);
  });

  it('leaves out pairs whose rows are far apart even when each is the other nearest', async () => {
    await ensureTensorBackend();
    const buckets: Buckets = {
      count: 1,
      start: Int32Array.from([0, 2]),
      members: Int32Array.from([1, 2]),
      home: Uint8Array.from([1, 1]),
    };
    const found = new Set<number>();
    searchBuckets(buckets, space, found, 0);
    expect(found.size).toBe(0);
  });
});
