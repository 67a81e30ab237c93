// Pooled feature vectors read in chunks of rows, so work over a million images never holds them all: the feature
// cache (one chunk of records read at a time) or a matrix already in memory (tests, small sets) behind one
// interface. Every chunk's rows are unit length; a row without features is marked absent and reads as zeros.
import { AppError } from '../../shared/errors.js';
import { openFeatureCache, readCacheLayout, type FeatureCache } from '../features/feature-cache.js';
import type { FeatureStore } from '../types.js';
import { normaliseRows, type Matrix } from './vectors.js';

export interface PooledChunk {
  /** First row of the chunk. */
  start: number;
  /** Unit-length rows start .. start + m.rows - 1. */
  m: Matrix;
  /** 1 where the row has features, 0 where it reads as zeros. */
  present: Uint8Array;
}

export interface PooledSource {
  readonly rows: number;
  readonly cols: number;
  /** Rows without features, ascending. */
  readonly missing: readonly number[];
  /** The rows in order, `chunkRows` at a time. Each call starts again from row 0. */
  chunks(chunkRows: number): AsyncGenerator<PooledChunk>;
  close(): Promise<void>;
}

/** Scales each row to unit length in place; an all-zero row stays zero. */
export function normaliseInPlace(data: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[o + j]! * data[o + j]!;
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < cols; j++) data[o + j] = data[o + j]! * inv;
  }
}

/** A matrix as a source (rows normalised once; `missing` rows read as zeros). */
export function matrixSource(m: Matrix, missing: readonly number[] = []): PooledSource {
  const unit = normaliseRows(m);
  const absent = new Set(missing);
  for (const r of absent) unit.data.fill(0, r * m.cols, (r + 1) * m.cols);
  return {
    rows: m.rows,
    cols: m.cols,
    missing: [...absent].sort((a, b) => a - b),
    async *chunks(chunkRows: number): AsyncGenerator<PooledChunk> {
      for (let s = 0; s < m.rows; s += chunkRows) {
        const e = Math.min(m.rows, s + chunkRows);
        const present = new Uint8Array(e - s).map((_, k) => (absent.has(s + k) ? 0 : 1));
        yield { start: s, m: { data: unit.data.subarray(s * m.cols, e * m.cols), rows: e - s, cols: m.cols }, present };
        await Promise.resolve();
      }
    },
    close: () => Promise.resolve(),
  };
}

/** A source over the feature cache, which can also read a few rows, or any cached content, directly. */
export interface CacheSource extends PooledSource {
  /** Unit-length vectors of `rows` (present rows only), row-major in the order given. */
  rowsOf(rows: readonly number[]): Promise<Float32Array>;
  /** The unit-length vector of any cached content (in the request or not); undefined when it has none. */
  vectorOf(sha256: string): Promise<Float32Array | undefined>;
}

/** The pooled features of `shas` (one row each, in order) from the feature cache of `backboneKey`. */
export async function cacheSource(req: {
  cacheDir: string;
  backboneKey: string;
  shas: string[];
}): Promise<CacheSource> {
  const layout = await readCacheLayout(req.cacheDir, req.backboneKey);
  if (!layout) throw new AppError('not-found', `no cached features for ${req.backboneKey}: train first`);
  const cache = await openFeatureCache(req.cacheDir, req.backboneKey, layout);
  try {
    return fromCache(cache, req.shas, layout.pooledC);
  } catch (e) {
    await cache.close();
    throw e;
  }
}

function fromCache(cache: FeatureCache, shas: readonly string[], cols: number): CacheSource {
  const storeRow = new Int32Array(shas.length).fill(-1);
  const presentShas: string[] = [];
  const missing: number[] = [];
  shas.forEach((s, i) => {
    if (!cache.has(s)) return missing.push(i);
    storeRow[i] = presentShas.length;
    presentShas.push(s);
  });
  const store: FeatureStore = cache.featureStore(presentShas);
  return {
    rows: shas.length,
    cols,
    missing,
    async *chunks(chunkRows: number): AsyncGenerator<PooledChunk> {
      for (let s = 0; s < shas.length; s += chunkRows) {
        const e = Math.min(shas.length, s + chunkRows);
        const present = new Uint8Array(e - s);
        const want: number[] = [];
        const at: number[] = [];
        for (let i = s; i < e; i++) {
          if (storeRow[i]! < 0) continue;
          present[i - s] = 1;
          want.push(storeRow[i]!);
          at.push(i - s);
        }
        const data = new Float32Array((e - s) * cols);
        const pooled = await store.pooled(want);
        at.forEach((k, j) => data.set(pooled.subarray(j * cols, (j + 1) * cols), k * cols));
        normaliseInPlace(data, e - s, cols);
        yield { start: s, m: { data, rows: e - s, cols }, present };
      }
    },
    async rowsOf(rows: readonly number[]): Promise<Float32Array> {
      const want = rows.map((r) => {
        const at = storeRow[r] ?? -1;
        if (at < 0) throw new RangeError(`row ${r} has no features`);
        return at;
      });
      const data = await store.pooled(want);
      normaliseInPlace(data, rows.length, cols);
      return data;
    },
    async vectorOf(sha256: string): Promise<Float32Array | undefined> {
      if (!cache.has(sha256)) return undefined;
      const data = await cache.featureStore([sha256]).pooled([0]);
      normaliseInPlace(data, 1, cols);
      return data;
    },
    close: () => cache.close(),
  };
}

/** Every row of the source in one matrix (for work that needs them together: the map, small sets). */
export async function readAll(
  source: PooledSource,
  onChunk?: (done: number, total: number) => void,
  chunkRows = 4096,
): Promise<Matrix> {
  const data = new Float32Array(source.rows * source.cols);
  for await (const c of source.chunks(chunkRows)) {
    data.set(c.m.data, c.start * source.cols);
    onChunk?.(c.start + c.m.rows, source.rows);
  }
  return { data, rows: source.rows, cols: source.cols };
}
