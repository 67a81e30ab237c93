// Training reads every training row once per epoch for each of K+1 models; a disk cache would decode float16
// each time. Reading the training rows once into memory (within a byte budget) turns every later read into a
// copy. Rows outside the cache still go to the underlying store.
import type { FeatureStore } from '../types.js';

/** 10,000 rows of an 8x8x96 map plus 960 pooled channels take ~280 MB. */
export const DEFAULT_CACHE_BYTES = 1_000_000_000;

/** The cached rows of a store made by cacheRows, in shared memory so model workers read them without a copy. */
export interface CachedRows {
  rows: Int32Array;
  maps: Float32Array;
  pooled: Float32Array;
  /** Mean over positions of each cached map, [rows, mapC]. */
  means: Float32Array;
}

/** Mean over the P positions of each of n maps [n, P * c], accumulated in float64. */
export function meanPositions(maps: Float32Array, n: number, P: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  const acc = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let o = i * P * c, end = (i + 1) * P * c; o < end; o += c)
      for (let ch = 0; ch < c; ch++) acc[ch]! += maps[o + ch]!;
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = acc[ch]! / P;
  }
  return out;
}

const cached = new WeakMap<FeatureStore, CachedRows>();

export function cachedRowsOf(store: FeatureStore): CachedRows | undefined {
  return cached.get(store);
}

/** Fresh memory costs ~3.5 ms per MB in page faults on the first write (measured here: 420 ms for the 124 MB of
 * maps of a 9,000-image retrain), so the buffers of a finished run are kept for the next one, like the model
 * workers: at most KEEP_BYTES, let go after KEEP_IDLE_MS without a run. */
export const KEEP_BYTES = 512 * 2 ** 20;
/** How long an idle engine keeps what a next run would reuse: this memory, and the model workers (model-pool.ts). */
export const KEEP_IDLE_MS = 15 * 60_000;
let spare: SharedArrayBuffer[] = [];
let spareTimer: NodeJS.Timeout | undefined;

/** n floats of shared memory: the smallest kept buffer that is large enough, else a new one. */
function sharedFloats(n: number): Float32Array {
  const fits = spare.filter((b) => b.byteLength >= n * 4).sort((a, b) => a.byteLength - b.byteLength)[0];
  if (!fits) return new Float32Array(new SharedArrayBuffer(n * 4));
  spare = spare.filter((b) => b !== fits);
  return new Float32Array(fits, 0, n);
}

/** Ends a cache made by cacheRows: nothing may read it afterwards (a run's models are done, its workers told to
 * end). Its buffers are kept for the next run within KEEP_BYTES. */
export function releaseRows(store: FeatureStore): void {
  const c = cached.get(store);
  if (!c) return;
  cached.delete(store);
  const kept = [...spare, ...[c.maps, c.pooled, c.means].map((a) => a.buffer as SharedArrayBuffer)];
  kept.sort((a, b) => b.byteLength - a.byteLength);
  let bytes = 0;
  spare = [];
  for (const b of kept)
    if (bytes + b.byteLength <= KEEP_BYTES) {
      spare.push(b);
      bytes += b.byteLength;
    }
  clearTimeout(spareTimer);
  spareTimer = setTimeout(dropKeptRows, KEEP_IDLE_MS);
  spareTimer.unref();
}

/** Lets go of every kept buffer (also for tests). */
export function dropKeptRows(): void {
  clearTimeout(spareTimer);
  spare = [];
}

/** Bytes of shared memory kept for the next run. */
export function keptRowBytes(): number {
  return spare.reduce((s, b) => s + b.byteLength, 0);
}

export async function cacheRows(
  store: FeatureStore,
  rows: readonly number[],
  budgetBytes = DEFAULT_CACHE_BYTES,
): Promise<FeatureStore> {
  const { mapH, mapW, mapC, pooledC } = store.layout;
  const mapSize = mapH * mapW * mapC;
  const unique = [...new Set(rows)];
  if (unique.length === 0 || unique.length * (mapSize + pooledC) * 4 > budgetBytes) return store;
  const slot = new Int32Array(store.count).fill(-1);
  unique.forEach((r, i) => (slot[r] = i));
  const maps = sharedFloats(unique.length * mapSize);
  const pooled = sharedFloats(unique.length * pooledC);
  const means = sharedFloats(unique.length * mapC);
  // Straight into shared memory when the store can (a fresh multi-MB array costs ~3.5 ms per MB in page faults
  // here); otherwise chunked, so the store never materialises more than one chunk at a time.
  for (let s = 0; s < unique.length; s += 1024) {
    const chunk = unique.slice(s, s + 1024);
    const mapsPart = maps.subarray(s * mapSize, (s + chunk.length) * mapSize);
    if (!store.readInto?.('maps', chunk, mapsPart)) mapsPart.set(await store.maps(chunk));
    means.set(meanPositions(mapsPart, chunk.length, mapH * mapW, mapC), s * mapC);
    const pooledPart = pooled.subarray(s * pooledC, (s + chunk.length) * pooledC);
    if (!store.readInto?.('pooled', chunk, pooledPart)) pooledPart.set(await store.pooled(chunk));
  }
  const read = async (
    src: Float32Array,
    size: number,
    want: readonly number[],
    fallback: (r: readonly number[]) => Promise<Float32Array>,
  ): Promise<Float32Array> => {
    const out = new Float32Array(want.length * size);
    const missing: number[] = [];
    for (let i = 0; i < want.length; i++) {
      const r = want[i]!;
      const k = r >= 0 && r < slot.length ? slot[r]! : -1;
      if (k >= 0) out.set(src.subarray(k * size, (k + 1) * size), i * size);
      else missing.push(i);
    }
    if (missing.length) {
      const got = await fallback(missing.map((i) => want[i]!));
      missing.forEach((i, j) => out.set(got.subarray(j * size, (j + 1) * size), i * size));
    }
    return out;
  };
  const out: FeatureStore = {
    layout: store.layout,
    count: store.count,
    readInto: (kind, want, dst) => {
      const [src, size] = kind === 'maps' ? [maps, mapSize] : [pooled, pooledC];
      for (let i = 0; i < want.length; i++) {
        const r = want[i]!;
        const k = r >= 0 && r < slot.length ? slot[r]! : -1;
        if (k < 0) return false;
        dst.set(src.subarray(k * size, (k + 1) * size), i * size);
      }
      return true;
    },
    maps: (want) => read(maps, mapSize, want, (r) => store.maps(r)),
    pooled: (want) => read(pooled, pooledC, want, (r) => store.pooled(r)),
    mapMeans: (want) =>
      read(means, mapC, want, async (r) => meanPositions(await store.maps(r), r.length, mapH * mapW, mapC)),
  };
  cached.set(out, { rows: Int32Array.from(unique), maps, pooled, means });
  return out;
}

/** A read-only store over rows cached elsewhere (a model worker's view of the engine thread's cache). */
export function storeOverCached(layout: FeatureStore['layout'], count: number, c: CachedRows): FeatureStore {
  const mapSize = layout.mapH * layout.mapW * layout.mapC;
  const slot = new Map<number, number>();
  c.rows.forEach((r, i) => slot.set(r, i));
  const read = (src: Float32Array, size: number, want: readonly number[]): Promise<Float32Array> => {
    const out = new Float32Array(want.length * size);
    for (let i = 0; i < want.length; i++) {
      const k = slot.get(want[i]!);
      if (k === undefined) return Promise.reject(new RangeError(`row ${want[i]} is not cached`));
      out.set(src.subarray(k * size, (k + 1) * size), i * size);
    }
    return Promise.resolve(out);
  };
  return {
    layout,
    count,
    readInto: (kind, want, dst) => {
      const [src, size] = kind === 'maps' ? [c.maps, mapSize] : [c.pooled, layout.pooledC];
      for (let i = 0; i < want.length; i++) {
        const k = slot.get(want[i]!);
        if (k === undefined) return false;
        dst.set(src.subarray(k * size, (k + 1) * size), i * size);
      }
      return true;
    },
    maps: (want) => read(c.maps, mapSize, want),
    pooled: (want) => read(c.pooled, layout.pooledC, want),
    mapMeans: (want) => read(c.means, layout.mapC, want),
  };
}
