// "More like this" kept open between queries: the feature cache's record index (1,000,000 headers read once), the
// saved graph (memory-mapped) or, below the graph's size, the unit-length vectors and a native brute-force index.
// A query then costs the search and the exact re-score of a few rows. The session notices when the cache gained
// records (a score or a retrain extracted features for contents it had as missing) and is opened again then.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { cacheFolderName } from '../features/feature-cache.js';
import type { ProgressFn } from '../types.js';
import { buildIndex, type Neighbour, type NeighbourIndex } from './neighbour-index.js';
import { cacheSource, readAll, type CacheSource } from './pooled-source.js';
import { openOrBuildGraph } from './saved-graph.js';
import { dot } from './vectors.js';

/** Below this many vectors one query by brute force (every vector read) costs less than building a graph once;
 * from it on a graph is built once and saved beside the feature cache, then opened by every later session. */
export const SAVED_GRAPH_FROM = 10000;

export interface FeaturePlace {
  cacheDir: string;
  backboneKey: string;
  /** The contents to search, one row each (the answer's rows index this list). */
  shas: string[];
}

/** Names and sizes of the cache's shard files: records are only ever appended, so any new record changes it. */
export async function cacheToken(cacheDir: string, backboneKey: string): Promise<string> {
  const dir = join(cacheDir, cacheFolderName(backboneKey));
  try {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.ssf')).sort();
    const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
    return names.map((n, i) => `${n}:${sizes[i]}`).join(',');
  } catch {
    return 'none';
  }
}

export class SimilarSession {
  /** Rows without features (they read as zero vectors). */
  private readonly skip: ReadonlySet<number>;

  private constructor(
    readonly place: FeaturePlace,
    readonly token: string,
    private readonly source: CacheSource,
    /** The graph's int8 rows need an exact re-score; the brute-force index's similarities are exact already. */
    private readonly index: NeighbourIndex,
    private readonly rescore: boolean,
  ) {
    this.skip = new Set(source.missing);
  }

  static async open(place: FeaturePlace, onProgress?: ProgressFn): Promise<SimilarSession> {
    const token = await cacheToken(place.cacheDir, place.backboneKey);
    const source = await cacheSource(place);
    try {
      if (source.rows - source.missing.length < SAVED_GRAPH_FROM) {
        const m = await readAll(source, (done, total) => onProgress?.({ phase: 'read-features', done, total }));
        return new SimilarSession(place, token, source, buildIndex(m, { force: 'exact-native' }), false);
      }
      const { index } = await openOrBuildGraph(source, place, onProgress ? { onProgress } : {});
      return new SimilarSession(place, token, source, index, true);
    } catch (e) {
      await source.close();
      throw e;
    }
  }

  get missing(): readonly number[] {
    return this.source.missing;
  }

  /** True when the cache has records this session does not see. */
  async stale(): Promise<boolean> {
    return (await cacheToken(this.place.cacheDir, this.place.backboneKey)) !== this.token;
  }

  /** The k rows most like cached content `query` (itself left out when it is one of the rows), nearest first. */
  async query(query: string, k: number): Promise<Neighbour[]> {
    const vector = await this.source.vectorOf(query);
    if (!vector) throw new AppError('not-found', 'the query image has no cached features: score it first');
    // The query's own row is recognised by its content (no search through a million names).
    const keep = (n: Neighbour): boolean => this.place.shas[n.row] !== query && !this.skip.has(n.row);
    // Missing rows read as zero vectors in the brute-force index: ask for enough to drop them all.
    const hits = this.index.search(vector, k + 1 + (this.rescore ? 0 : this.skip.size)).filter(keep);
    if (!this.rescore) return hits.slice(0, k);
    const rows = hits.map((n) => n.row);
    const vectors = await this.source.rowsOf(rows);
    const cols = this.source.cols;
    return rows
      .map((r, i) => ({ row: r, similarity: dot(vector, 0, vectors, i * cols, cols) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
