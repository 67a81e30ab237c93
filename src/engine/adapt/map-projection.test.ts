import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backends/select-backend.js';
import { createRng, normals } from '../ssod/rng.js';
import { fitMapProjection, projectPositions } from './map-projection.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** rows × c positions spanning `rank` random directions, plus noise of the given size. */
function lowRank(rows: number, c: number, rank: number, noise: number, seed = 3): Float32Array {
  const rng = createRng(seed);
  const basis = normals(rank * c, 1, rng);
  const z = normals(rows * rank, 1, rng);
  const eps = normals(rows * c, noise, rng);
  const x = new Float32Array(rows * c);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < c; j++) {
      let v = eps[i * c + j]!;
      for (let r = 0; r < rank; r++) v += z[i * rank + r]! * basis[r * c + j]!;
      x[i * c + j] = v;
    }
  return x;
}

function project(x: Float32Array, rows: number, c: number, p: ReturnType<typeof fitMapProjection>): Float32Array {
  return tf.tidy(() => projectPositions(tf.tensor2d(x, [rows, c]), p).dataSync() as Float32Array);
}

describe('fitMapProjection', () => {
  it('keeps the whole subspace of data of lower rank: norms and inner products survive the projection', () => {
    const [rows, c, k] = [600, 64, 8];
    const x = lowRank(rows, c, 6, 0);
    const p = fitMapProjection(x, rows, c, k);
    expect(p.k).toBe(k);
    expect(p.energyKept).toBeGreaterThan(0.9999);
    const y = project(x, rows, c, p);
    for (const [a, b] of [
      [0, 1],
      [5, 17],
      [42, 42],
    ] as const) {
      let dx = 0;
      let dy = 0;
      for (let j = 0; j < c; j++) dx += x[a * c + j]! * x[b * c + j]!;
      for (let j = 0; j < k; j++) dy += y[a * k + j]! * y[b * k + j]!;
      expect(dy).toBeCloseTo(dx, 2);
    }
  });

  it('has orthonormal directions, and keeps less energy the more is outside k directions', () => {
    const [rows, c, k] = [800, 48, 6];
    const noise = 2;
    const x = lowRank(rows, c, 6, noise);
    const p = fitMapProjection(x, rows, c, k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let j = 0; j < c; j++) dot += p.dirs[j * k + a]! * p.dirs[j * k + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 3);
      }
    // Per position: signal 6 directions × 48 (unit normal entries), noise 48 × 4, of which 6 × 4 lies in the six.
    const expected = (6 * c + k * noise ** 2) / (6 * c + c * noise ** 2);
    expect(Math.abs(p.energyKept - expected)).toBeLessThan(0.05);
    expect(fitMapProjection(x, rows, c, 2).energyKept).toBeLessThan(p.energyKept);
  });

  it('is deterministic', () => {
    const x = lowRank(300, 32, 4, 0.1);
    expect(fitMapProjection(x, 300, 32, 4).dirs).toEqual(fitMapProjection(x, 300, 32, 4).dirs);
  });

  it('refuses a width it cannot fit, with a clear error', () => {
    const x = lowRank(10, 16, 2, 0.1);
    expect(() => fitMapProjection(x, 10, 16, 16)).toThrow(/mapChannels must be from 1 to 15/);
    expect(() => fitMapProjection(x, 10, 16, 0)).toThrow(/mapChannels/);
    expect(() => fitMapProjection(x, 10, 16, 12)).toThrow(/10 positions cannot fit 12 directions/);
    expect(() => fitMapProjection(x.subarray(1), 10, 16, 4)).toThrow(/not 10 × 16/);
  });
});
