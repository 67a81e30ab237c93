// The 2-D map of every image. A fast layout first (PCA to two components, seconds at any size) so the map can
// show something at once; then UMAP (umap-js) over the cosine k-nearest-neighbour graph, with neighbours from the
// native index instead of umap-js's own search (its nearest-neighbour descent in JS is the slow part at 100k).
// Above `sampleSize` images UMAP runs on a random sample and every other image is placed at the
// similarity-weighted mean of its nearest sampled neighbours: the same layout, at a fraction of the cost.
import { UMAP } from 'umap-js';
import { AppError } from '../../shared/errors.js';
import { createRng, shuffleInPlace } from '../ssod/rng.js';
import type { ProgressFn } from '../types.js';
import { allNeighbours, UsearchIndex, type Neighbour } from './neighbour-index.js';
import { pickRows, row, type Matrix } from './vectors.js';

export interface MapOptions {
  nNeighbors: number;
  minDist: number;
  /** Optimisation epochs of UMAP (umap-js's default rule when undefined: 500 below 10,000 points, else 200). */
  nEpochs?: number;
  /** Above this many images UMAP runs on a sample of this size and the rest are placed by their neighbours. */
  sampleSize: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export const DEFAULT_MAP_OPTIONS: MapOptions = { nNeighbors: 15, minDist: 0.1, sampleSize: 20000, seed: 1 };

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('cancelled', 'the map was cancelled');
}

/** Top principal direction of centred rows orthogonal to `against`, by power iteration. */
function principalDirection(
  m: Matrix,
  mean: Float64Array,
  against: Float64Array | undefined,
  seed: number,
): Float64Array {
  const d = m.cols;
  const rng = createRng(seed);
  let v = Float64Array.from({ length: d }, () => rng() - 0.5);
  const centred = new Float64Array(d);
  for (let it = 0; it < 30; it++) {
    const next = new Float64Array(d);
    for (let i = 0; i < m.rows; i++) {
      let p = 0;
      for (let j = 0; j < d; j++) {
        centred[j] = m.data[i * d + j]! - mean[j]!;
        p += centred[j]! * v[j]!;
      }
      for (let j = 0; j < d; j++) next[j] = next[j]! + p * centred[j]!;
    }
    if (against) {
      let p = 0;
      for (let j = 0; j < d; j++) p += next[j]! * against[j]!;
      for (let j = 0; j < d; j++) next[j] = next[j]! - p * against[j]!;
    }
    let norm = 0;
    for (const x of next) norm += x * x;
    if (norm === 0) return v;
    v = next.map((x) => x / Math.sqrt(norm));
  }
  return v;
}

/** PCA to two components: [x0, y0, x1, y1, ...]. All-identical rows map to the origin. */
export function pcaLayout(m: Matrix, seed = 1): Float32Array {
  const d = m.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + m.data[i * d + j]! / m.rows;
  const a = principalDirection(m, mean, undefined, seed);
  const b = principalDirection(m, mean, a, seed + 1);
  const out = new Float32Array(m.rows * 2);
  for (let i = 0; i < m.rows; i++) {
    let x = 0;
    let y = 0;
    for (let j = 0; j < d; j++) {
      const c = m.data[i * d + j]! - mean[j]!;
      x += c * a[j]!;
      y += c * b[j]!;
    }
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
}

/** umap-js wants each point's own index first at distance 0, then its neighbours by cosine distance. */
function knnForUmap(neighbours: Neighbour[][]): { indices: number[][]; distances: number[][] } {
  const indices = neighbours.map((list, i) => [i, ...list.map((n) => n.row)]);
  const distances = neighbours.map((list) => [0, ...list.map((n) => Math.max(0, 1 - n.similarity))]);
  return { indices, distances };
}

async function runUmap(sample: Matrix, options: MapOptions): Promise<Float32Array> {
  const { indices, distances } = knnForUmap(allNeighbours(sample, options.nNeighbors - 1));
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: options.nNeighbors,
    minDist: options.minDist,
    random: createRng(options.seed),
    ...(options.nEpochs !== undefined ? { nEpochs: options.nEpochs } : {}),
  });
  umap.setPrecomputedKNN(indices, distances);
  // With the graph given, umap-js reads its input only for the number of points: hand it tiny rows.
  const epochs = umap.initializeFit(Array.from({ length: sample.rows }, () => [0]));
  for (let e = 0; e < epochs; e++) {
    umap.step();
    if (e % 10 === 9 || e === epochs - 1) {
      options.onProgress?.({ phase: 'map', done: e + 1, total: epochs });
      // Yield so a cancel message reaches this process between epochs.
      await new Promise((r) => setImmediate(r));
      throwIfCancelled(options.signal);
    }
  }
  return Float32Array.from(umap.getEmbedding().flat());
}

/** Each row of `rest` at the similarity-weighted mean position of its k nearest rows of `sample`. */
function placeByNeighbours(sample: Matrix, layout: Float32Array, rest: Matrix, k: number): Float32Array {
  const index = new UsearchIndex(sample.cols);
  index.add(sample);
  const out = new Float32Array(rest.rows * 2);
  for (let i = 0; i < rest.rows; i++) {
    const hits = index.search(row(rest, i), k);
    let wx = 0;
    let wy = 0;
    let w = 0;
    for (const h of hits) {
      const weight = Math.max(1e-6, h.similarity);
      wx += weight * layout[2 * h.row]!;
      wy += weight * layout[2 * h.row + 1]!;
      w += weight;
    }
    out[2 * i] = w > 0 ? wx / w : 0;
    out[2 * i + 1] = w > 0 ? wy / w : 0;
  }
  return out;
}

/** UMAP of unit-length rows: [x0, y0, x1, y1, ...] in row order. */
export async function umapLayout(m: Matrix, opts: Partial<MapOptions> = {}): Promise<Float32Array> {
  const options = { ...DEFAULT_MAP_OPTIONS, ...opts };
  if (m.rows <= options.nNeighbors + 1) return pcaLayout(m, options.seed);
  throwIfCancelled(options.signal);
  if (m.rows <= options.sampleSize) return runUmap(m, options);
  const order = shuffleInPlace(
    Array.from({ length: m.rows }, (_, i) => i),
    createRng(options.seed),
  );
  const sampleRows = order.slice(0, options.sampleSize).sort((a, b) => a - b);
  const restRows = order.slice(options.sampleSize).sort((a, b) => a - b);
  const sampleLayout = await runUmap(pickRows(m, sampleRows), options);
  options.onProgress?.({ phase: 'map-place', done: 0, total: restRows.length });
  const placed = placeByNeighbours(pickRows(m, sampleRows), sampleLayout, pickRows(m, restRows), 5);
  const out = new Float32Array(m.rows * 2);
  sampleRows.forEach((r, k) => out.set(sampleLayout.subarray(2 * k, 2 * k + 2), 2 * r));
  restRows.forEach((r, k) => out.set(placed.subarray(2 * k, 2 * k + 2), 2 * r));
  return out;
}

/** Share of each point's k nearest neighbours in layout `a` that are among its k nearest in layout `b` (both 2-D). */
export function neighbourOverlap(a: Float32Array, b: Float32Array, k: number): number {
  const n = a.length / 2;
  const nearest = (l: Float32Array, i: number): number[] => {
    const d: [number, number][] = [];
    for (let j = 0; j < n; j++)
      if (j !== i) d.push([j, (l[2 * i]! - l[2 * j]!) ** 2 + (l[2 * i + 1]! - l[2 * j + 1]!) ** 2]);
    return d
      .sort((x, y) => x[1] - y[1])
      .slice(0, k)
      .map(([j]) => j);
  };
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const want = new Set(nearest(a, i));
    kept += nearest(b, i).filter((j) => want.has(j)).length;
  }
  return kept / (n * k);
}
