import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';
import { cacheRows, cachedRowsOf, dropKeptRows, keptRowBytes, releaseRows, storeOverCached } from './row-cache.js';

const layout = { mapH: 1, mapW: 2, mapC: 2, pooledC: 3 };
const maps = Float32Array.from({ length: 5 * 4 }, (_, i) => i);
const pooled = Float32Array.from({ length: 5 * 3 }, (_, i) => 100 + i);

describe('cacheRows', () => {
  it('serves cached rows from memory and the rest from the store, in the order asked', async () => {
    let reads = 0;
    const base = createMemoryStore(layout, maps, pooled);
    const counting = {
      ...base,
      maps: (r: readonly number[]) => {
        reads++;
        return base.maps(r);
      },
    };
    const cached = await cacheRows(counting, [3, 1, 3]);
    const before = reads;
    expect(Array.from(await cached.maps([1, 3]))).toEqual([4, 5, 6, 7, 12, 13, 14, 15]);
    expect(reads).toBe(before); // no store read for cached rows
    expect(Array.from(await cached.maps([4, 1, 0]))).toEqual(Array.from(await base.maps([4, 1, 0])));
    expect(Array.from(await cached.pooled([0, 3]))).toEqual([100, 101, 102, 109, 110, 111]);
  });

  it('gives each row mean over positions, cached or not, and the same through a worker view', async () => {
    const base = createMemoryStore(layout, maps, pooled);
    const cached = await cacheRows(base, [1, 3]);
    // Row r's map is [4r, 4r+1 | 4r+2, 4r+3]: channel means 4r+1 and 4r+2.
    expect(Array.from(await cached.mapMeans!([3, 0, 1]))).toEqual([13, 14, 1, 2, 5, 6]);
    const view = storeOverCached(layout, 5, cachedRowsOf(cached)!);
    expect(Array.from(await view.mapMeans!([1, 3]))).toEqual([5, 6, 13, 14]);
    await expect(view.maps([0])).rejects.toThrow(/not cached/);
  });

  it('reads held rows into a given array, here and through a worker view, and says when a row is not held', async () => {
    const base = createMemoryStore(layout, maps, pooled);
    const cached = await cacheRows(base, [1, 3]);
    const view = storeOverCached(layout, 5, cachedRowsOf(cached)!);
    for (const store of [cached, view]) {
      const out = new Float32Array(8).fill(-1);
      expect(store.readInto!('maps', [3, 1], out)).toBe(true);
      expect(Array.from(out)).toEqual([12, 13, 14, 15, 4, 5, 6, 7]);
      const p = new Float32Array(3);
      expect(store.readInto!('pooled', [1], p)).toBe(true);
      expect(Array.from(p)).toEqual([103, 104, 105]);
      expect(store.readInto!('maps', [1, 0], new Float32Array(8))).toBe(false);
    }
  });

  it("fills its memory through the store's readInto when it has one, with the same rows", async () => {
    const base = createMemoryStore(layout, maps, pooled);
    const calls: string[] = [];
    const direct = {
      ...base,
      maps: () => Promise.reject(new Error('maps() should not be needed')),
      pooled: () => Promise.reject(new Error('pooled() should not be needed')),
      readInto: (kind: 'maps' | 'pooled', rows: readonly number[], out: Float32Array): boolean => {
        calls.push(kind);
        const size = kind === 'maps' ? 4 : 3;
        const src = kind === 'maps' ? maps : pooled;
        rows.forEach((r, i) => out.set(src.subarray(r * size, (r + 1) * size), i * size));
        return true;
      },
    };
    const cached = await cacheRows(direct, [4, 2]);
    expect(calls).toEqual(['maps', 'pooled']);
    expect(Array.from(await cached.maps([2, 4]))).toEqual(Array.from(await base.maps([2, 4])));
    expect(Array.from(await cached.pooled([4]))).toEqual(Array.from(await base.pooled([4])));
    expect(Array.from(await cached.mapMeans!([4]))).toEqual([17, 18]);
  });

  it("keeps a released cache's memory for the next one, which still reads its own rows", async () => {
    dropKeptRows();
    const base = createMemoryStore(layout, maps, pooled);
    const first = await cacheRows(base, [0, 1, 2]);
    const buffers = (c = cachedRowsOf(first)!): Set<ArrayBufferLike> =>
      new Set([c.maps, c.pooled, c.means].map((a) => a.buffer));
    const old = buffers();
    releaseRows(first);
    expect(cachedRowsOf(first)).toBeUndefined();
    expect(keptRowBytes()).toBeGreaterThan(0);
    // Fewer rows fit in the kept buffers: reused (not zeroed), and every row read is the right one.
    const second = await cacheRows(base, [4, 3]);
    expect([...buffers(cachedRowsOf(second))].filter((b) => old.has(b))).toHaveLength(3);
    expect(Array.from(await second.maps([3, 4]))).toEqual(Array.from(await base.maps([3, 4])));
    expect(Array.from(await second.pooled([4]))).toEqual(Array.from(await base.pooled([4])));
    expect(Array.from(await second.mapMeans!([3]))).toEqual([13, 14]);
    releaseRows(second);
    dropKeptRows();
    expect(keptRowBytes()).toBe(0);
  });

  it('returns the store itself when the rows do not fit the budget', async () => {
    const base = createMemoryStore(layout, maps, pooled);
    expect(await cacheRows(base, [0, 1, 2], 10)).toBe(base);
  });
});
