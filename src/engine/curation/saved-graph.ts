// The "more like this" graph, built once and kept on disk beside the feature cache: a graph over 1,000,000 vectors
// takes minutes to build and one query in it well under a millisecond, so rebuilding it per query (as a plain
// search would) wastes the build. The file is named by a fingerprint of what it indexes (backbone key, the
// contents in row order, which of them had features, the graph's settings): cached features never change for a
// content, so the same fingerprint means the same graph, and anything new (a scanned image, a new run's features)
// names another file. Opening memory-maps the file (usearch's view), so a later process answers at once.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheFolderName } from '../features/feature-cache.js';
import type { ProgressFn } from '../types.js';
import { buildGraph } from './near-stream.js';
import { UsearchIndex, type GraphOptions } from './neighbour-index.js';
import type { PooledSource } from './pooled-source.js';

/** The graph's settings (UsearchIndex's defaults, which the saved file depends on): a change there must change
 * this, so that older files are not read with other settings. */
const GRAPH_FORMAT = 'usearch/cos/i8/12/48/48/keys=rows';
const HASH_BATCH = 4096;

export interface GraphPlace {
  cacheDir: string;
  backboneKey: string;
  shas: readonly string[];
}

export function graphFolder(cacheDir: string, backboneKey: string): string {
  return join(cacheDir, 'neighbour-graphs', cacheFolderName(backboneKey));
}

export function graphFingerprint(place: GraphPlace, missing: readonly number[]): string {
  const h = createHash('sha256').update(`${GRAPH_FORMAT}\n${place.backboneKey}\n${place.shas.length}\n`);
  // Joined in batches: one update per content costs more than the hashing at a million.
  for (let s = 0; s < place.shas.length; s += HASH_BATCH) h.update(place.shas.slice(s, s + HASH_BATCH).join('\n'));
  h.update(`\nmissing ${missing.join(',')}`);
  return h.digest('hex').slice(0, 32);
}

/** Removes every other graph of this backbone (older contents): one graph per backbone is kept. */
async function prune(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (join(dir, name) !== keep) await rm(join(dir, name), { force: true });
  }
}

/** The saved graph of this source, built (streaming the source once) and saved when there is none. */
export async function openOrBuildGraph(
  source: PooledSource,
  place: GraphPlace,
  options: { threads?: number; onProgress?: ProgressFn } = {},
): Promise<{ index: UsearchIndex; built: boolean; path: string }> {
  const dir = graphFolder(place.cacheDir, place.backboneKey);
  const path = join(dir, `${graphFingerprint(place, source.missing)}.usearch`);
  const graph: Omit<GraphOptions, 'onProgress'> = options.threads !== undefined ? { threads: options.threads } : {};
  if (existsSync(path)) return { index: UsearchIndex.view(path, source.cols, graph), built: false, path };
  const index = await buildGraph(source, { chunkRows: 8192, graph, onProgress: options.onProgress });
  await mkdir(dir, { recursive: true });
  // Written under a temporary name and renamed: a reader never maps a half-written file.
  const tmp = `${path}.${process.pid}.tmp`;
  index.save(tmp);
  await rename(tmp, path);
  await prune(dir, path);
  return { index, built: true, path };
}
