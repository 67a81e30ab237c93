import { describe, expect, it } from 'vitest';
import { createRng, normals } from '../ssod/rng.js';
import { assignBuckets, COARSE_DIMS, trainCentroids } from './coarse-buckets.js';
import { ensureTensorBackend } from './tensor-backend.js';

/** `k` tight, far-apart blobs of `per` points each in `p` dimensions; point i belongs to blob i % k. */
function blobs(k: number, per: number, p: number): Float32Array {
  const rng = createRng(5);
  const centres = normals(k * p, 10, rng);
  const out = new Float32Array(k * per * p);
  for (let i = 0; i < k * per; i++) {
    const noise = normals(p, 0.05, rng);
    for (let j = 0; j < p; j++) out[i * p + j] = centres[(i % k) * p + j]! + noise[j]!;
  }
  return out;
}

describe('coarse buckets', () => {
  const k = 6;
  const p = 24;
  const proj = blobs(k, 40, p);
  const rows = Array.from({ length: k * 40 }, (_, i) => i);

  it('puts each row in its two nearest buckets, at home in exactly one, and blob mates in a shared one', async () => {
    await ensureTensorBackend();
    const centroids = trainCentroids(proj, p, rows, k, { seed: 2 });
    const b = assignBuckets(proj, p, rows, centroids);
    expect(b.count).toBe(k);
    const inBuckets = new Map<number, number[]>();
    const homes = new Map<number, number>();
    for (let c = 0; c < b.count; c++) {
      const m = [...b.members.subarray(b.start[c], b.start[c + 1])];
      expect(m).toEqual([...m].sort((x, y) => x - y));
      m.forEach((r, i) => {
        inBuckets.set(r, [...(inBuckets.get(r) ?? []), c]);
        if (b.home[b.start[c]! + i] === 1) homes.set(r, (homes.get(r) ?? 0) + 1);
      });
    }
    expect([...inBuckets.values()].every((bs) => bs.length === 2)).toBe(true);
    expect(homes.size).toBe(rows.length);
    expect([...homes.values()].every((h) => h === 1)).toBe(true);
    // Any two points of one blob share a bucket (a blob k-means split in two is in both halves).
    for (const r of rows) {
      for (const s of rows.filter((x) => x % k === r % k)) {
        expect(inBuckets.get(r)!.some((c) => inBuckets.get(s)!.includes(c))).toBe(true);
      }
    }
  });

  it('asks for no more buckets than there are rows', async () => {
    await ensureTensorBackend();
    const few = [0, 1, 2];
    const centroids = trainCentroids(proj, p, few, 10);
    expect(centroids.length / Math.min(p, COARSE_DIMS)).toBe(3);
  });
});
