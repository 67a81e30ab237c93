import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { Int8Rows } from './int8-rows.js';
import { dot, normaliseVector } from './vectors.js';

describe('int8 rows', () => {
  const d = 960;
  const rng = createRng(3);
  const vs = Array.from({ length: 20 }, () => normaliseVector(normals(d, 1, rng)));

  it("keeps every pair's cosine within the search's slack", () => {
    const rows = new Int8Rows(vs.length, d);
    vs.forEach((v, r) => rows.put(r, v, 0));
    let worst = 0;
    for (let a = 0; a < vs.length; a++) {
      for (let b = 0; b < vs.length; b++)
        worst = Math.max(worst, Math.abs(rows.dot(a, b) - dot(vs[a]!, 0, vs[b]!, 0, d)));
    }
    expect(worst).toBeLessThan(0.005);
    expect(worst).toBeGreaterThan(0); // quantised, not a copy
  });

  it('reads rows back close to their values, and an all-zero row as zeros', () => {
    const rows = new Int8Rows(2, d);
    rows.put(0, vs[0]!, 0);
    rows.put(1, new Float32Array(d), 0);
    const out = new Float32Array(2 * d);
    rows.readInto(0, 2, out);
    for (let j = 0; j < d; j++) expect(Math.abs(out[j]! - vs[0]![j]!)).toBeLessThan(0.002);
    expect(out.subarray(d).every((x) => x === 0)).toBe(true);
    expect(rows.dot(0, 1)).toBe(0);
  });

  it('shares its memory with a view made from its handle', () => {
    const rows = new Int8Rows(3, d, true);
    const view = Int8Rows.view(rows.handle());
    rows.put(2, vs[1]!, 0);
    rows.put(1, vs[1]!, 0);
    expect(rows.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(view.dot(1, 2)).toBeCloseTo(1, 2);
  });
});
