// The curation work on cached features, callable in any thread (the worker runs it; tests call it directly).
import { AppError } from '../../shared/errors.js';
import type { ProgressFn } from '../types.js';
import { streamNearCandidates } from './near-stream.js';
import { cacheSource, readAll, type CacheSource, type PooledSource } from './pooled-source.js';
import { openOrBuildGraph } from './saved-graph.js';
import { pcaLayout, umapLayout } from './embedding-map.js';
import { buildIndex, type Neighbour } from './neighbour-index.js';
import { dot, type Matrix } from './vectors.js';
import type { CurationRequest, CurationResult } from './worker-protocol.js';

/** Every row of the request's contents at once (the map, and "more like this" below the graph's size), read in
 * chunks and normalised in place: one matrix, not a raw copy and a normalised one. */
async function readPooled(source: PooledSource, onProgress?: ProgressFn): Promise<Matrix> {
  return readAll(source, (done, total) => onProgress?.({ phase: 'read-features', done, total }));
}

export async function runCurationJob(
  req: CurationRequest,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<CurationResult> {
  const source = await cacheSource(req);
  try {
    return await runOn(source, req, onProgress, signal);
  } finally {
    await source.close();
  }
}

async function runOn(
  source: CacheSource,
  req: CurationRequest,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<CurationResult> {
  const missing = [...source.missing];
  if (req.kind === 'near-pairs') {
    const pairs = await streamNearCandidates(source, req.minCosine, { onProgress });
    return { kind: 'near-pairs', pairs, missing };
  }
  if (req.kind === 'map') {
    const m = await readPooled(source, onProgress);
    const layout =
      req.method === 'pca'
        ? pcaLayout(m)
        : await umapLayout(m, { ...req.options, onProgress, ...(signal ? { signal } : {}) });
    return { kind: 'map', layout, missing };
  }
  return { kind: 'similar', neighbours: await similar(source, req, onProgress), missing };
}

/** Below this many vectors one query by brute force (every vector read) costs less than building a graph once;
 * from it on a graph is built once and saved beside the feature cache, then opened by every later query. */
export const SAVED_GRAPH_FROM = 10000;

async function similar(
  source: CacheSource,
  req: Extract<CurationRequest, { kind: 'similar' }>,
  onProgress: ProgressFn,
): Promise<Neighbour[]> {
  const query = await source.vectorOf(req.query);
  if (!query) throw new AppError('not-found', 'the query image has no cached features: score it first');
  const self = req.shas.indexOf(req.query);
  const skip = new Set(source.missing);
  const keep = (n: Neighbour): boolean => n.row !== self && !skip.has(n.row);
  if (source.rows - skip.size < SAVED_GRAPH_FROM) {
    const m = await readPooled(source, onProgress);
    return buildIndex(m, { force: 'exact-native' })
      .search(query, req.k + 1 + skip.size)
      .filter(keep)
      .slice(0, req.k);
  }
  const { index } = await openOrBuildGraph(source, req, { onProgress });
  // The graph stores int8 vectors: its similarities are re-scored exactly from the few rows it returns.
  const rows = index
    .search(query, req.k + 1)
    .filter(keep)
    .map((n) => n.row);
  const vectors = await source.rowsOf(rows);
  return rows
    .map((r, i) => ({ row: r, similarity: dot(query, 0, vectors, i * source.cols, source.cols) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, req.k);
}
