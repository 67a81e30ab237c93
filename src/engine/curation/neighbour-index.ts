// Cosine nearest neighbours over unit-length rows, four ways behind one interface: exact blocked search in
// plain JS, exact brute force in usearch's native SIMD code, usearch's HNSW graph (native, multi-threaded) and
// hnswlib-node's (native, single-threaded adds). Which one runs is chosen by size and use; the sizes come from
// `npm run bench:curation` (see docs/benchmarks.md, "Curation"): the graph answers "all neighbours of all rows"
// fastest from a few hundred rows on, while one query against rows not yet indexed is fastest by brute force.
import { createRequire } from 'node:module';
import { dot, type Matrix } from './vectors.js';

export interface Neighbour {
  row: number;
  similarity: number;
}

export type IndexKind = 'exact' | 'exact-native' | 'usearch' | 'hnswlib';

export interface NeighbourIndex {
  readonly kind: IndexKind;
  readonly size: number;
  /** The k most similar rows to a unit-length query, most similar first. */
  search(query: Float32Array, k: number): Neighbour[];
  /** The k most similar other rows of every indexed row (itself excluded), in row order. */
  searchAll(k: number): Neighbour[][];
}

/** Below this many vectors native brute force answers "all neighbours of all rows" faster than building a graph;
 * below EXACT_QUERY_BELOW one query by brute force beats building a graph for it (measured by the curation
 * benchmark: see docs/benchmarks.md). */
export const EXACT_BELOW = 1000;
export const EXACT_QUERY_BELOW = 50000;

/** Keeps the k best (highest similarity) in a small sorted array: k is tiny, so insertion beats a heap. */
class TopK {
  readonly rows: number[] = [];
  readonly sims: number[] = [];
  constructor(private readonly k: number) {}
  offer(row: number, sim: number): void {
    const n = this.sims.length;
    if (n === this.k && sim <= this.sims[n - 1]!) return;
    let i = n === this.k ? n - 1 : n;
    while (i > 0 && this.sims[i - 1]! < sim) {
      this.sims[i] = this.sims[i - 1]!;
      this.rows[i] = this.rows[i - 1]!;
      i--;
    }
    this.sims[i] = sim;
    this.rows[i] = row;
  }
  result(): Neighbour[] {
    return this.rows.map((row, i) => ({ row, similarity: this.sims[i]! }));
  }
}

const BLOCK = 64;

export class ExactIndex implements NeighbourIndex {
  readonly kind = 'exact';
  constructor(private readonly m: Matrix) {}
  get size(): number {
    return this.m.rows;
  }
  search(query: Float32Array, k: number): Neighbour[] {
    const top = new TopK(Math.min(k, this.m.rows));
    for (let j = 0; j < this.m.rows; j++) top.offer(j, dot(query, 0, this.m.data, j * this.m.cols, this.m.cols));
    return top.result();
  }
  /** Blocks of rows against blocks of rows, each pair once: the block's rows stay in cache while it runs. */
  searchAll(k: number): Neighbour[][] {
    const { data, rows: n, cols: d } = this.m;
    const tops = Array.from({ length: n }, () => new TopK(Math.min(k, Math.max(0, n - 1))));
    for (let bi = 0; bi < n; bi += BLOCK) {
      for (let bj = bi; bj < n; bj += BLOCK) {
        for (let i = bi; i < Math.min(bi + BLOCK, n); i++) {
          for (let j = Math.max(bj, i + 1); j < Math.min(bj + BLOCK, n); j++) {
            const s = dot(data, i * d, data, j * d, d);
            tops[i]!.offer(j, s);
            tops[j]!.offer(i, s);
          }
        }
      }
    }
    return tops.map((t) => t.result());
  }
}

interface UsearchModule {
  exactSearch(
    dataset: Float32Array,
    queries: Float32Array,
    dims: number,
    k: number,
    metric: 'cos',
    threads: number,
  ): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
  Index: new (config: {
    dimensions: number;
    metric: string;
    quantization: string;
    connectivity: number;
    expansion_add: number;
    expansion_search: number;
    multi: boolean;
  }) => UsearchIndexHandle;
}
interface UsearchIndexHandle {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(
    vectors: Float32Array,
    k: number,
    threads: number,
  ): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
  size(): number;
  save(path: string): void;
  view(path: string): void;
}

const require = createRequire(import.meta.url);

export interface GraphOptions {
  /** Stored precision. 'i8' (the default) quarters memory and was the fastest to build and search in the
   * benchmark; its similarities are off by ~0.005, so callers that report a similarity re-score exactly. */
  quantization?: 'f32' | 'f16' | 'i8';
  /** 'cos' (the default) for unit-length rows; 'l2sq' where lengths matter (projected rows): a hit's `similarity`
   * is then 1 - squared distance. */
  metric?: 'cos' | 'l2sq';
  connectivity?: number;
  expansionAdd?: number;
  expansionSearch?: number;
  threads?: number;
  /** Called after each chunk of added rows. */
  onProgress?: (done: number, total: number) => void;
}

const ADD_CHUNK = 8192;

export class UsearchIndex implements NeighbourIndex {
  readonly kind = 'usearch';
  private readonly index: UsearchIndexHandle;
  private readonly threads: number;
  private readonly cols: number;
  private count = 0;
  constructor(cols: number, options: GraphOptions = {}) {
    const usearch = require('usearch') as UsearchModule;
    this.cols = cols;
    this.threads = options.threads ?? 0;
    this.index = new usearch.Index({
      dimensions: cols,
      metric: options.metric ?? 'cos',
      quantization: options.quantization ?? 'i8',
      // bench:curation at 100,000 x 960: 12 / 48 / 48 found 995-1,000 of 1,000 planted copies in 65.6-72.6 s;
      // 16 / 40 / 48 took 141 s at the same load; a search breadth of 24 lost 6% (docs/benchmarks.md).
      connectivity: options.connectivity ?? 12,
      expansion_add: options.expansionAdd ?? 48,
      expansion_search: options.expansionSearch ?? 48,
      multi: false,
    });
  }
  get size(): number {
    return this.count;
  }
  /** Writes the graph and its vectors to `path` (usearch's own format). */
  save(path: string): void {
    this.index.save(path);
  }
  /** A graph saved by `save`, memory-mapped rather than read: opening costs no time at any size, and the pages a
   * query touches stay in the operating system's cache between processes. Built with the same options. */
  static view(path: string, cols: number, options: GraphOptions = {}): UsearchIndex {
    const index = new UsearchIndex(cols, options);
    index.index.view(path);
    index.count = index.index.size();
    return index;
  }
  /** Appends rows (keys continue from the current size); chunked so progress and memory stay visible. */
  add(m: Matrix, options: Pick<GraphOptions, 'onProgress'> = {}): void {
    if (m.cols !== this.cols) throw new RangeError(`usearch index: rows of ${m.cols}, index of ${this.cols}`);
    for (let s = 0; s < m.rows; s += ADD_CHUNK) {
      const e = Math.min(m.rows, s + ADD_CHUNK);
      const keys = new BigUint64Array(e - s);
      for (let i = s; i < e; i++) keys[i - s] = BigInt(this.count + i);
      this.index.add(keys, m.data.subarray(s * m.cols, e * m.cols), this.threads);
      options.onProgress?.(e, m.rows);
    }
    this.count += m.rows;
  }
  /** Adds rows under the caller's keys (a stream skips rows without features, so keys need not be dense). */
  addKeyed(keys: ArrayLike<number>, data: Float32Array): void {
    if (data.length !== keys.length * this.cols)
      throw new RangeError(`usearch index: ${data.length} values are not ${keys.length} rows of ${this.cols}`);
    if (keys.length === 0) return;
    this.index.add(
      BigUint64Array.from({ length: keys.length }, (_, i) => BigInt(keys[i]!)),
      data,
      this.threads,
    );
    this.count += keys.length;
  }
  search(query: Float32Array, k: number): Neighbour[] {
    const r = this.index.search(query, Math.min(k, this.count), this.threads);
    return toNeighbours(r.keys, r.distances, 0, r.keys.length, -1);
  }
  /** The k nearest of each of `rows` query rows (row-major in `data`), `self[i]` excluded from row i's list. */
  searchBatch(data: Float32Array, rows: number, k: number, self: ArrayLike<number>): Neighbour[][] {
    const kk = Math.min(k + 1, this.count);
    if (rows === 0 || kk === 0) return Array.from({ length: rows }, () => []);
    const r = this.index.search(data, kk, this.threads);
    const out: Neighbour[][] = [];
    for (let i = 0; i < rows; i++) {
      // One query comes back trimmed to what was found, without counts.
      const found = r.counts ? Number(r.counts[i]) : Math.min(kk, r.keys.length);
      out.push(toNeighbours(r.keys, r.distances, i * kk, found, self[i]!).slice(0, k));
    }
    return out;
  }
  searchAll(k: number, m?: Matrix): Neighbour[][] {
    if (!m) throw new RangeError('usearch searchAll needs the indexed rows');
    const kk = Math.min(k + 1, this.count);
    const out: Neighbour[][] = [];
    for (let s = 0; s < m.rows; s += ADD_CHUNK) {
      const e = Math.min(m.rows, s + ADD_CHUNK);
      const r = this.index.search(m.data.subarray(s * m.cols, e * m.cols), kk, this.threads);
      for (let i = s; i < e; i++) {
        const found = r.counts ? Number(r.counts[i - s]) : Math.min(kk, r.keys.length);
        out.push(toNeighbours(r.keys, r.distances, (i - s) * kk, found, i).slice(0, k));
      }
    }
    return out;
  }
}

/** usearch's exactSearch reads a typed array from the start of its buffer, ignoring a view's offset (measured
 * with 2.26.2): hand it arrays that own their buffer. */
function owned(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}

/** Brute force in native code: no build step, exact, linear per query. */
export class ExactNativeIndex implements NeighbourIndex {
  readonly kind = 'exact-native';
  private readonly usearch = require('usearch') as UsearchModule;
  constructor(
    private readonly m: Matrix,
    private readonly threads = 0,
  ) {}
  get size(): number {
    return this.m.rows;
  }
  search(query: Float32Array, k: number): Neighbour[] {
    const kk = Math.min(k, this.m.rows);
    if (kk === 0) return [];
    const r = this.usearch.exactSearch(owned(this.m.data), owned(query), this.m.cols, kk, 'cos', this.threads);
    return toNeighbours(r.keys, r.distances, 0, r.keys.length, -1);
  }
  searchAll(k: number): Neighbour[][] {
    const { rows, cols } = this.m;
    const data = owned(this.m.data);
    const kk = Math.min(k + 1, rows);
    const out: Neighbour[][] = [];
    for (let s = 0; s < rows; s += ADD_CHUNK) {
      const e = Math.min(rows, s + ADD_CHUNK);
      const r = this.usearch.exactSearch(data, data.slice(s * cols, e * cols), cols, kk, 'cos', this.threads);
      for (let i = s; i < e; i++) {
        const found = r.counts ? Number(r.counts[i - s]) : Math.min(kk, r.keys.length);
        out.push(toNeighbours(r.keys, r.distances, (i - s) * kk, found, i).slice(0, k));
      }
    }
    return out;
  }
}

function toNeighbours(keys: BigUint64Array, dist: Float32Array, at: number, k: number, self: number): Neighbour[] {
  const out: Neighbour[] = [];
  for (let j = at; j < at + k; j++) {
    // Past `k` found results usearch pads with key 0 and a NaN distance: the caller passes the count found.
    const r = Number(keys[j]!);
    if (r === self || Number.isNaN(dist[j]!)) continue;
    out.push({ row: r, similarity: 1 - dist[j]! });
  }
  return out;
}

interface HnswlibModule {
  HierarchicalNSW: new (space: 'cosine', dim: number) => HnswHandle;
}
interface HnswHandle {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number): void;
  addPoint(point: number[], label: number): void;
  searchKnn(query: number[], k: number): { distances: number[]; neighbors: number[] };
  setEf(ef: number): void;
}

export class HnswlibIndex implements NeighbourIndex {
  readonly kind = 'hnswlib';
  private readonly index: HnswHandle;
  constructor(
    private readonly m: Matrix,
    options: GraphOptions = {},
  ) {
    const hnswlib = require('hnswlib-node') as HnswlibModule;
    this.index = new hnswlib.HierarchicalNSW('cosine', m.cols);
    this.index.initIndex(Math.max(1, m.rows), options.connectivity ?? 16, options.expansionAdd ?? 128, 100);
    this.index.setEf(options.expansionSearch ?? 64);
    for (let i = 0; i < m.rows; i++) {
      this.index.addPoint(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)), i);
      if ((i + 1) % ADD_CHUNK === 0 || i + 1 === m.rows) options.onProgress?.(i + 1, m.rows);
    }
  }
  get size(): number {
    return this.m.rows;
  }
  search(query: Float32Array, k: number): Neighbour[] {
    const r = this.index.searchKnn(Array.from(query), Math.min(k, this.m.rows));
    return r.neighbors.map((row, i) => ({ row, similarity: 1 - r.distances[i]! }));
  }
  searchAll(k: number): Neighbour[][] {
    const out: Neighbour[][] = [];
    for (let i = 0; i < this.m.rows; i++) {
      const q = this.m.data.subarray(i * this.m.cols, (i + 1) * this.m.cols);
      out.push(
        this.search(q, k + 1)
          .filter((nb) => nb.row !== i)
          .slice(0, k),
      );
    }
    return out;
  }
}

/** All k nearest neighbours of every row of unit-length `m`, by the fastest method for its size. */
export function allNeighbours(m: Matrix, k: number, options: GraphOptions & { force?: IndexKind } = {}): Neighbour[][] {
  const kind = options.force ?? (m.rows < EXACT_BELOW ? 'exact-native' : 'usearch');
  if (kind === 'exact') return new ExactIndex(m).searchAll(k);
  if (kind === 'exact-native') return new ExactNativeIndex(m, options.threads).searchAll(k);
  if (kind === 'hnswlib') return new HnswlibIndex(m, options).searchAll(k);
  const index = new UsearchIndex(m.cols, options);
  index.add(m, options);
  return index.searchAll(k, m);
}

/** An index for "more like this" queries over unit-length `m`: brute force where a query costs less than a
 * graph would take to build, a graph (built once, then kept by the caller) above. */
export function buildIndex(m: Matrix, options: GraphOptions & { force?: IndexKind } = {}): NeighbourIndex {
  const kind = options.force ?? (m.rows < EXACT_QUERY_BELOW ? 'exact-native' : 'usearch');
  if (kind === 'exact') return new ExactIndex(m);
  if (kind === 'exact-native') return new ExactNativeIndex(m, options.threads);
  if (kind === 'hnswlib') return new HnswlibIndex(m, options);
  const index = new UsearchIndex(m.cols, options);
  index.add(m, options);
  return {
    kind: 'usearch',
    size: index.size,
    search: (q, k) => index.search(q, k),
    searchAll: (k) => index.searchAll(k, m),
  };
}
