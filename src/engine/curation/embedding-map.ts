// The 2-D map of every image. A fast layout first (PCA to two components, seconds at any size) so the map can
// show something at once; then UMAP (umap-js) over the cosine k-nearest-neighbour graph, with neighbours from the
// native index instead of umap-js's own search (its nearest-neighbour descent in JS is the slow part at 100k).
// Wide features are first projected on their `reduceTo` strongest principal directions (the usual step before a
// neighbour graph: distances over 48 columns instead of 960, the same neighbourhoods where it matters). Above
// `sampleSize` images UMAP runs on a random sample and every other image is placed at the similarity-weighted mean
// of its nearest sampled neighbours, found in the same index: the same layout, at a fraction of the cost.
import { UMAP } from 'umap-js';
import { AppError } from '../../shared/errors.js';
import { createRng, shuffleInPlace } from '../ssod/rng.js';
import type { ProgressFn } from '../types.js';
import { allNeighbours, UsearchIndex, type Neighbour } from './neighbour-index.js';
import { principalBasis, project } from './subspace.js';
import { normaliseRows, pickRows, type Matrix } from './vectors.js';

export interface MapOptions {
  nNeighbors: number;
  minDist: number;
  /** Optimisation epochs of UMAP (umap-js's default rule when undefined: 500 below 10,000 points, else 200). */
  nEpochs?: number;
  /** Above this many images UMAP runs on a sample of this size and the rest are placed by their neighbours. */
  sampleSize: number;
  /** Rows wider than this are projected on this many principal directions before the neighbour graph (0: never). */
  reduceTo: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export const DEFAULT_MAP_OPTIONS: MapOptions = {
  nNeighbors: 15,
  minDist: 0.1,
  sampleSize: 20000,
  reduceTo: 48,
  seed: 1,
};

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('cancelled', 'the map was cancelled');
}

/** PCA to two components: [x0, y0, x1, y1, ...]. All-identical rows map to the origin. The directions come from a
 * sample of the rows (subspace.ts), so the cost past the sample is one projection of each row. */
export function pcaLayout(m: Matrix, seed = 1): Float32Array {
  return project(m, principalBasis(m, 2, { seed })).data;
}

/** umap-js wants each point's own index first at distance 0, then its neighbours by cosine distance. */
function knnForUmap(neighbours: Neighbour[][]): { indices: number[][]; distances: number[][] } {
  const indices = neighbours.map((list, i) => [i, ...list.map((n) => n.row)]);
  const distances = neighbours.map((list) => [0, ...list.map((n) => Math.max(0, 1 - n.similarity))]);
  return { indices, distances };
}

async function runUmap(neighbours: Neighbour[][], options: MapOptions): Promise<Float32Array> {
  const { indices, distances } = knnForUmap(neighbours);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: options.nNeighbors,
    minDist: options.minDist,
    random: createRng(options.seed),
    ...(options.nEpochs !== undefined ? { nEpochs: options.nEpochs } : {}),
  });
  umap.setPrecomputedKNN(indices, distances);
  // With the graph given, umap-js reads its input only for the number of points: hand it tiny rows.
  const epochs = umap.initializeFit(Array.from({ length: neighbours.length }, () => [0]));
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

const PLACE_CHUNK = 8192;

/** Each row of `rest` at the similarity-weighted mean position of its k nearest sampled rows (batched searches on
 * the native threads). */
async function placeByNeighbours(
  index: UsearchIndex,
  layout: Float32Array,
  rest: Matrix,
  k: number,
  options: MapOptions,
): Promise<Float32Array> {
  const out = new Float32Array(rest.rows * 2);
  const noSelf = new Int32Array(PLACE_CHUNK).fill(-1);
  for (let s = 0; s < rest.rows; s += PLACE_CHUNK) {
    const e = Math.min(rest.rows, s + PLACE_CHUNK);
    const found = index.searchBatch(rest.data.subarray(s * rest.cols, e * rest.cols), e - s, k, noSelf);
    found.forEach((hits, i) => {
      let [wx, wy, w] = [0, 0, 0];
      for (const h of hits) {
        const weight = Math.max(1e-6, h.similarity);
        wx += weight * layout[2 * h.row]!;
        wy += weight * layout[2 * h.row + 1]!;
        w += weight;
      }
      out[2 * (s + i)] = w > 0 ? wx / w : 0;
      out[2 * (s + i) + 1] = w > 0 ? wy / w : 0;
    });
    options.onProgress?.({ phase: 'map-place', done: e, total: rest.rows });
    await new Promise((r) => setImmediate(r));
    throwIfCancelled(options.signal);
  }
  return out;
}

/** The rows the neighbour graph is built on: projected on their strongest directions when wide, unit length. */
function graphSpace(m: Matrix, options: MapOptions): Matrix {
  if (options.reduceTo <= 0 || m.cols <= options.reduceTo) return m;
  options.onProgress?.({ phase: 'map-reduce', done: 0, total: m.rows });
  return normaliseRows(project(m, principalBasis(m, options.reduceTo, { seed: options.seed })));
}

/** UMAP of unit-length rows: [x0, y0, x1, y1, ...] in row order. */
export async function umapLayout(m: Matrix, opts: Partial<MapOptions> = {}): Promise<Float32Array> {
  const options = { ...DEFAULT_MAP_OPTIONS, ...opts };
  if (m.rows <= options.nNeighbors + 1) return pcaLayout(m, options.seed);
  throwIfCancelled(options.signal);
  const space = graphSpace(m, options);
  throwIfCancelled(options.signal);
  const k = options.nNeighbors - 1;
  if (space.rows <= options.sampleSize) return runUmap(allNeighbours(space, k), options);
  const order = shuffleInPlace(
    Array.from({ length: space.rows }, (_, i) => i),
    createRng(options.seed),
  );
  const sampleRows = order.slice(0, options.sampleSize).sort((a, b) => a - b);
  const restRows = order.slice(options.sampleSize).sort((a, b) => a - b);
  const sample = pickRows(space, sampleRows);
  // One graph over the sample serves both its own neighbour lists and the placement of every other row.
  options.onProgress?.({ phase: 'map-neighbours', done: 0, total: sample.rows });
  const index = new UsearchIndex(sample.cols);
  index.add(sample);
  const sampleLayout = await runUmap(index.searchAll(k, sample), options);
  const placed = await placeByNeighbours(index, sampleLayout, pickRows(space, restRows), 5, options);
  const out = new Float32Array(m.rows * 2);
  sampleRows.forEach((r, i) => out.set(sampleLayout.subarray(2 * i, 2 * i + 2), 2 * r));
  restRows.forEach((r, i) => out.set(placed.subarray(2 * i, 2 * i + 2), 2 * r));
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
