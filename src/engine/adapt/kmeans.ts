// Small seeded k-means (k-means++ start, Lloyd steps) on rows of a [n, d] array: groups the sampled background
// positions so that no single kind of background (one colour) outweighs the others in the OOD term.
import { createRng } from '../ssod/rng.js';

function sqDist(x: Float32Array, i: number, c: Float64Array, k: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[i * d + j]! - c[k * d + j]!;
    s += t * t;
  }
  return s;
}

function nearest(x: Float32Array, i: number, c: Float64Array, k: number, d: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let q = 0; q < k; q++) {
    const dist = sqDist(x, i, c, q, d);
    if (dist < bestD) {
      bestD = dist;
      best = q;
    }
  }
  return best;
}

function seedCentroids(x: Float32Array, n: number, d: number, k: number, rng: () => number): Float64Array {
  const c = new Float64Array(k * d);
  const first = Math.floor(rng() * n);
  for (let j = 0; j < d; j++) c[j] = x[first * d + j]!;
  const dist = new Float64Array(n).fill(Infinity);
  for (let q = 1; q < k; q++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      dist[i] = Math.min(dist[i]!, sqDist(x, i, c, q - 1, d));
      total += dist[i]!;
    }
    let pick = n - 1;
    let r = rng() * total;
    for (let i = 0; i < n && total > 0; i++) {
      r -= dist[i]!;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    for (let j = 0; j < d; j++) c[q * d + j] = x[pick * d + j]!;
  }
  return c;
}

/** Centroids [k, d] of the rows (k is reduced to n when there are fewer rows). */
export function kMeans(x: Float32Array, d: number, k: number, seed: number, iterations = 15): Float64Array {
  const n = x.length / d;
  const kk = Math.max(1, Math.min(k, n));
  if (n === 0) return new Float64Array(0);
  const c = seedCentroids(x, n, d, kk, createRng(seed));
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) assign[i] = nearest(x, i, c, kk, d);
    const sum = new Float64Array(kk * d);
    const count = new Float64Array(kk);
    for (let i = 0; i < n; i++) {
      const q = assign[i]!;
      count[q]!++;
      for (let j = 0; j < d; j++) sum[q * d + j]! += x[i * d + j]!;
    }
    for (let q = 0; q < kk; q++)
      if (count[q]! > 0) for (let j = 0; j < d; j++) c[q * d + j] = sum[q * d + j]! / count[q]!;
  }
  return c;
}

/** Index of the nearest centroid of each row. */
export function assignClusters(x: Float32Array, d: number, centroids: Float64Array): Int32Array {
  const n = x.length / d;
  const k = centroids.length / d;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = k > 0 ? nearest(x, i, centroids, k, d) : 0;
  return out;
}
