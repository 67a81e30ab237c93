// The curation work on cached features, callable in any thread (the worker runs it; tests call it directly).
import type { ProgressFn } from '../types.js';
import { streamNearCandidates } from './near-stream.js';
import { cacheSource, readAll, type CacheSource, type PooledSource } from './pooled-source.js';
import { pcaLayout, umapLayout } from './embedding-map.js';
import { SimilarSession } from './similar-session.js';
import type { Matrix } from './vectors.js';
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
  if (req.kind === 'similar') {
    // One question alone (the command line, the benchmark): a session opened for it and closed after it.
    const session = await SimilarSession.open(req, onProgress);
    try {
      return { kind: 'similar', neighbours: await session.query(req.query, req.k), missing: [...session.missing] };
    } finally {
      await session.close();
    }
  }
  const source = await cacheSource(req);
  try {
    return await runOn(source, req, onProgress, signal);
  } finally {
    await source.close();
  }
}

async function runOn(
  source: CacheSource,
  req: Exclude<CurationRequest, { kind: 'similar' }>,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<CurationResult> {
  const missing = [...source.missing];
  if (req.kind === 'near-pairs') {
    // Through buckets, not the saved "more like this" graph: searching the graph for every row cost more CPU than
    // the whole bucketed search at 1,000,000 (docs/benchmarks.md), so the graph stays for "more like this" alone.
    const pairs = await streamNearCandidates(source, req.minCosine, { onProgress });
    return { kind: 'near-pairs', pairs, missing };
  }
  const m = await readPooled(source, onProgress);
  const layout =
    req.method === 'pca'
      ? pcaLayout(m)
      : await umapLayout(m, { ...req.options, onProgress, ...(signal ? { signal } : {}) });
  return { kind: 'map', layout, missing };
}
