// An in-memory FeatureStore for tests and benchmarks: rows are copied out per read, as a disk cache would.
import type { FeatureLayout, FeatureStore } from '../types.js';

export function createMemoryStore(layout: FeatureLayout, maps: Float32Array, pooled: Float32Array): FeatureStore {
  const mapSize = layout.mapH * layout.mapW * layout.mapC;
  const count = maps.length / mapSize;
  if (!Number.isInteger(count) || pooled.length !== count * layout.pooledC)
    throw new RangeError('maps and pooled do not match the layout');
  const read = (src: Float32Array, size: number, rows: readonly number[]): Float32Array => {
    const out = new Float32Array(rows.length * size);
    rows.forEach((r, i) => {
      if (!(r >= 0 && r < count)) throw new RangeError(`row ${r} outside 0..${count - 1}`);
      out.set(src.subarray(r * size, (r + 1) * size), i * size);
    });
    return out;
  };
  return {
    layout,
    count,
    maps: (rows) => Promise.resolve(read(maps, mapSize, rows)),
    pooled: (rows) => Promise.resolve(read(pooled, layout.pooledC, rows)),
  };
}
