// The curation work on cached features, callable in any thread (the worker runs it; tests call it directly).
import { AppError } from '../../shared/errors.js';
import { openFeatureCache, readCacheLayout } from '../features/feature-cache.js';
import type { ProgressFn } from '../types.js';
import { nearCandidates } from './duplicates.js';
import { pcaLayout, umapLayout } from './embedding-map.js';
import { buildIndex } from './neighbour-index.js';
import { normaliseRows, normaliseVector, row, type Matrix } from './vectors.js';
import type { CurationRequest, CurationResult } from './worker-protocol.js';

const READ_CHUNK = 2048;

/** Unit-length pooled features of the request's contents; rows without cached features are listed as missing
 * and read as zero vectors (similar to nothing). */
export async function readPooled(
  req: { cacheDir: string; backboneKey: string; shas: string[] },
  onProgress?: ProgressFn,
): Promise<{ m: Matrix; missing: number[] }> {
  const layout = await readCacheLayout(req.cacheDir, req.backboneKey);
  if (!layout) throw new AppError('not-found', `no cached features for ${req.backboneKey}: train first`);
  const cache = await openFeatureCache(req.cacheDir, req.backboneKey, layout);
  try {
    const d = layout.pooledC;
    const missing: number[] = [];
    const present: number[] = [];
    req.shas.forEach((s, i) => (cache.has(s) ? present : missing).push(i));
    const data = new Float32Array(req.shas.length * d);
    const store = cache.featureStore(present.map((i) => req.shas[i]!));
    for (let s = 0; s < present.length; s += READ_CHUNK) {
      const rows = Array.from({ length: Math.min(READ_CHUNK, present.length - s) }, (_, k) => s + k);
      const pooled = await store.pooled(rows);
      rows.forEach((r, k) => data.set(pooled.subarray(k * d, (k + 1) * d), present[r]! * d));
      onProgress?.({ phase: 'read-features', done: s + rows.length, total: present.length });
    }
    return { m: normaliseRows({ data, rows: req.shas.length, cols: d }), missing };
  } finally {
    await cache.close();
  }
}

export async function runCurationJob(
  req: CurationRequest,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<CurationResult> {
  const { m, missing } = await readPooled(req, onProgress);
  if (req.kind === 'near-pairs') {
    onProgress({ phase: 'neighbours', done: 0, total: m.rows });
    const skip = new Set(missing);
    const pairs = nearCandidates(m, req.minCosine).filter((p) => !skip.has(p.a) && !skip.has(p.b));
    return { kind: 'near-pairs', pairs, missing };
  }
  if (req.kind === 'map') {
    const layout =
      req.method === 'pca'
        ? pcaLayout(m)
        : await umapLayout(m, { ...req.options, onProgress, ...(signal ? { signal } : {}) });
    return { kind: 'map', layout, missing };
  }
  const q = req.shas.indexOf(req.query);
  if (q < 0 || missing.includes(q))
    throw new AppError('not-found', 'the query image has no cached features: score it first');
  const query = normaliseVector(row(m, q).slice());
  const neighbours = buildIndex(m)
    .search(query, req.k + 1)
    .filter((n) => n.row !== q && !missing.includes(n.row))
    .slice(0, req.k);
  return { kind: 'similar', neighbours, missing };
}
