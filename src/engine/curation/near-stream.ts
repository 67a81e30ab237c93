// Near-duplicate candidates over a stream of pooled vectors, never every float32 vector in memory at once (at
// 1,000,000 × 960 that is 3.8 GB, twice over once normalised). Two ways to propose pairs: the default reads the
// source once, keeping each row as int8, and searches k-means buckets of projected rows (bucket-search.ts); the
// other adds every chunk to the quantised usearch graph (or opens the saved one) and asks it for each row's
// neighbours in a second pass. Either way a last pass re-reads the rows of the proposed pairs, a bounded number at
// a time, and keeps the pairs whose exact cosine meets the threshold.
import type { ProgressFn } from '../types.js';
import { bucketCandidates, type BucketSearchOptions } from './bucket-search.js';
import { nearCandidates, type CandidatePair } from './duplicates.js';
import { EXACT_BELOW, UsearchIndex, type GraphOptions } from './neighbour-index.js';
import { readAll, type PooledChunk, type PooledSource } from './pooled-source.js';
import { dot } from './vectors.js';

export interface StreamNearOptions {
  /** Neighbours asked of the graph per row. */
  k?: number;
  /** Rows read per chunk. */
  chunkRows?: number;
  /** Rows held at once while re-scoring candidate pairs exactly (more pairs than fit take more passes). */
  rescoreRows?: number;
  /** 'buckets' (the default without `openGraph`): k-means buckets over projected rows, one read of the source (bucket-search.ts);
   * 'graph': every row's neighbours in the usearch graph, one more read of the source and a graph walk per row
   * (about five times the CPU at 1,000,000 rows: docs/benchmarks.md). */
  method?: 'buckets' | 'graph';
  buckets?: Omit<BucketSearchOptions, 'onProgress' | 'chunkRows'>;
  graph?: Omit<GraphOptions, 'onProgress'>;
  /** The graph of every present row, when the caller keeps one (the saved "more like this" graph: built once, then
   * shared by both questions); without it the graph is built here and dropped after. */
  openGraph?: () => Promise<UsearchIndex>;
  onProgress?: ProgressFn;
}

/** Slack below minCosine at which the quantised graph proposes a pair; the exact cosine then decides. */
const INDEX_SLACK = 0.02;
const DEFAULTS = { k: 8, chunkRows: 8192, rescoreRows: 65536 };

/** The present rows of a chunk, packed: their row numbers and their vectors. */
function presentRows(c: PooledChunk): { keys: number[]; data: Float32Array } {
  const keys: number[] = [];
  for (let i = 0; i < c.m.rows; i++) if (c.present[i]) keys.push(c.start + i);
  if (keys.length === c.m.rows) return { keys, data: c.m.data };
  const data = new Float32Array(keys.length * c.m.cols);
  keys.forEach((r, j) =>
    data.set(c.m.data.subarray((r - c.start) * c.m.cols, (r - c.start + 1) * c.m.cols), j * c.m.cols),
  );
  return { keys, data };
}

/** Every present row of the source in a graph keyed by row number. */
export async function buildGraph(
  source: PooledSource,
  o: { chunkRows: number; graph?: Omit<GraphOptions, 'onProgress'> | undefined; onProgress?: ProgressFn | undefined },
): Promise<UsearchIndex> {
  const index = new UsearchIndex(source.cols, o.graph);
  for await (const c of source.chunks(o.chunkRows)) {
    const { keys, data } = presentRows(c);
    index.addKeyed(keys, data);
    o.onProgress?.({ phase: 'index', done: c.start + c.m.rows, total: source.rows });
  }
  return index;
}

/** Pairs (a < b) the graph finds at or above `floor`, each once. */
async function proposePairs(
  source: PooledSource,
  index: UsearchIndex,
  floor: number,
  o: { k: number; chunkRows: number; onProgress?: ProgressFn },
): Promise<{ a: number; b: number }[]> {
  const seen = new Set<number>();
  const out: { a: number; b: number }[] = [];
  for await (const c of source.chunks(o.chunkRows)) {
    const { keys, data } = presentRows(c);
    const lists = index.searchBatch(data, keys.length, o.k, keys);
    lists.forEach((list, j) => {
      const a = keys[j]!;
      for (const nb of list) {
        if (nb.similarity < floor) continue;
        const lo = Math.min(a, nb.row);
        const hi = Math.max(a, nb.row);
        const key = lo * source.rows + hi;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ a: lo, b: hi });
      }
    });
    o.onProgress?.({ phase: 'neighbours', done: c.start + c.m.rows, total: source.rows });
  }
  return out;
}

/** The next run of pairs whose rows fit in `budget` rows (at least one pair), with each row's slot. */
function nextBatch(
  pairs: readonly { a: number; b: number }[],
  from: number,
  budget: number,
): { end: number; slots: Map<number, number> } {
  const slots = new Map<number, number>();
  let i = from;
  for (; i < pairs.length; i++) {
    const p = pairs[i]!;
    const extra = Number(!slots.has(p.a)) + Number(!slots.has(p.b));
    if (i > from && slots.size + extra > budget) break;
    if (!slots.has(p.a)) slots.set(p.a, slots.size);
    if (!slots.has(p.b)) slots.set(p.b, slots.size);
  }
  return { end: i, slots };
}

/** The exact cosine of each proposed pair, kept when it meets `minCosine`. */
async function rescore(
  source: PooledSource,
  pairs: readonly { a: number; b: number }[],
  minCosine: number,
  o: { chunkRows: number; rescoreRows: number; onProgress?: ProgressFn },
): Promise<CandidatePair[]> {
  const d = source.cols;
  const out: CandidatePair[] = [];
  for (let from = 0; from < pairs.length;) {
    const { end, slots } = nextBatch(pairs, from, o.rescoreRows);
    const held = new Float32Array(slots.size * d);
    for await (const c of source.chunks(o.chunkRows)) {
      for (let k = 0; k < c.m.rows; k++) {
        const slot = slots.get(c.start + k);
        if (slot !== undefined) held.set(c.m.data.subarray(k * d, (k + 1) * d), slot * d);
      }
    }
    for (let i = from; i < end; i++) {
      const p = pairs[i]!;
      const similarity = dot(held, slots.get(p.a)! * d, held, slots.get(p.b)! * d, d);
      if (similarity >= minCosine) out.push({ a: p.a, b: p.b, similarity });
    }
    o.onProgress?.({ phase: 'confirm', done: end, total: pairs.length });
    from = end;
  }
  return out.sort((x, y) => x.a - y.a || x.b - y.b);
}

/** Pairs of present rows (a < b) whose exact cosine is at least `minCosine`, by the graph from EXACT_BELOW rows
 * on; below it every row is read at once and searched by brute force. */
export async function streamNearCandidates(
  source: PooledSource,
  minCosine: number,
  options: StreamNearOptions = {},
): Promise<CandidatePair[]> {
  const o = { ...DEFAULTS, ...options };
  const missing = new Set(source.missing);
  if (source.rows - missing.size < EXACT_BELOW) {
    const m = await readAll(source, (done, total) => o.onProgress?.({ phase: 'read-features', done, total }));
    return nearCandidates(m, minCosine, o.k, o.graph).filter((p) => !missing.has(p.a) && !missing.has(p.b));
  }
  const floor = minCosine - INDEX_SLACK;
  if ((o.method ?? (o.openGraph ? 'graph' : 'buckets')) === 'buckets') {
    const proposed = await bucketCandidates(source, floor, {
      ...o.buckets,
      k: o.k,
      chunkRows: o.chunkRows,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    return rescore(source, proposed, minCosine, o);
  }
  const index = o.openGraph ? await o.openGraph() : await buildGraph(source, o);
  const proposed = await proposePairs(source, index, floor, o);
  return rescore(source, proposed, minCosine, o);
}
