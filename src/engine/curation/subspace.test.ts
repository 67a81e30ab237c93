import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { principalBasis, project } from './subspace.js';
import { matrix } from './vectors.js';

/** Rows with standard deviations 10, 5 and 2 along three random orthonormal directions, 0.1 elsewhere. */
function planted(n: number, d: number): { m: ReturnType<typeof matrix>; axes: Float64Array[] } {
  const rng = createRng(8);
  const axes: Float64Array[] = [];
  for (let a = 0; a < 3; a++) {
    const v = Float64Array.from(normals(d, 1, rng));
    for (const prev of axes) {
      const p = v.reduce((s, x, j) => s + x * prev[j]!, 0);
      for (let j = 0; j < d; j++) v[j] = v[j]! - p * prev[j]!;
    }
    const norm = Math.hypot(...v);
    axes.push(v.map((x) => x / norm));
  }
  const data = new Float32Array(n * d);
  const offset = normals(d, 3, rng);
  for (let i = 0; i < n; i++) {
    const noise = normals(d, 0.1, rng);
    const [c0, c1, c2] = normals(3, 1, rng);
    for (let j = 0; j < d; j++) {
      data[i * d + j] =
        offset[j]! + noise[j]! + 10 * c0! * axes[0]![j]! + 5 * c1! * axes[1]![j]! + 2 * c2! * axes[2]![j]!;
    }
  }
  return { m: matrix(data, n, d), axes };
}

const cosine = (basis: Float64Array, c: number, d: number, axis: Float64Array): number =>
  Math.abs(axis.reduce((s, x, j) => s + x * basis[c * d + j]!, 0));

describe('principal basis', () => {
  it('finds the planted directions strongest first, from a sample of the rows', () => {
    const { m, axes } = planted(3000, 60);
    const b = principalBasis(m, 3, { sampleRows: 800 });
    expect(b.k).toBe(3);
    for (let c = 0; c < 3; c++) expect(cosine(b.dirs, c, 60, axes[c]!)).toBeGreaterThan(0.99);
    // The basis is orthonormal.
    const d01 = b.dirs.subarray(0, 60).reduce((s, x, j) => s + x * b.dirs[60 + j]!, 0);
    expect(Math.abs(d01)).toBeLessThan(1e-6);
  });

  it('projects centred rows: coordinates with the planted spreads, and identical rows at the origin', () => {
    const { m } = planted(2000, 40);
    const p = project(m, principalBasis(m, 2));
    expect(p.cols).toBe(2);
    const spread = (c: number): number => {
      let s = 0;
      for (let i = 0; i < p.rows; i++) s += p.data[i * 2 + c]! ** 2;
      return Math.sqrt(s / p.rows);
    };
    expect(spread(0)).toBeGreaterThan(9);
    expect(spread(0)).toBeLessThan(11);
    expect(spread(1)).toBeGreaterThan(4.5);
    expect(spread(1)).toBeLessThan(5.5);
    const same = matrix(new Float32Array(12).fill(0.5), 4, 3);
    expect([...project(same, principalBasis(same, 2)).data].every((v) => v === 0)).toBe(true);
    expect(() => project(same, principalBasis(m, 2))).toThrow(RangeError);
  });
});
