// The `stream-*` sections of `npm run bench:curation`: the curation jobs at 1,000,000 images through the feature cache, as the app runs
// them (the worker's job function, in this process so peak RSS is this process's): synthetic pooled vectors of the
// default width (960, clustered, the last 1,000 near copies of the first 1,000) written once into a real feature
// cache, then read back in chunks. Run each section as its own command so each peak RSS is its own:
//   stream-cache    writes the cache (skipped when it exists);
//   stream-dups     duplicate candidates over every vector: wall time, planted copies found, peak RSS (the job
//                   builds and saves the graph when none is saved for these contents, else opens the saved one);
//   stream-similar  "more like this": the first query builds and saves the graph, the next ones open the saved one;
//   stream-warm     "more like this" as the app asks it: one thread kept warm, 50 questions after the first.
// Usage: npm run bench:curation -- --only stream-cache|stream-dups|stream-similar|stream-warm [--n 1000000] [--work DIR]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openFeatureCache } from '../../src/engine/features/feature-cache.js';
import { runCurationJob } from '../../src/engine/curation/curation-jobs.js';
import { cacheSource } from '../../src/engine/curation/pooled-source.js';
import { WarmSimilar } from '../../src/engine/curation/similar-client.js';
import { graphFolder, openOrBuildGraph } from '../../src/engine/curation/saved-graph.js';
import { clusteredVectors } from '../../src/engine/curation/testing.js';
import { dot, normaliseVector } from '../../src/engine/curation/vectors.js';
import { createRng, normals } from '../../src/engine/ssod/rng.js';

const DIM = 960;
const COPIES = 1000;
const KEY = 'bench-synthetic-960';
const layout = { mapH: 1, mapW: 1, mapC: 2, pooledC: DIM };

const rssMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const shaOf = (i: number): string => i.toString(16).padStart(64, '0');

async function writeCache(dir: string, n: number): Promise<void> {
  if (existsSync(join(dir, 'done'))) return console.log(`cache of ${n} exists in ${dir}`);
  const t0 = performance.now();
  const cache = await openFeatureCache(dir, KEY, layout);
  const chunk = 10000;
  const originals: Float32Array[] = [];
  const rng = createRng(12);
  const maps = new Float32Array(2);
  for (let s = 0; s < n; s += chunk) {
    const m = clusteredVectors(chunk / 50, 50, DIM, 0.6, 100 + s);
    for (let k = 0; k < Math.min(chunk, n - s); k++) {
      const i = s + k;
      let v = m.data.subarray(k * DIM, (k + 1) * DIM);
      if (i < COPIES) originals.push(v.slice());
      if (i >= n - COPIES) {
        const noise = normals(DIM, 0.02 / Math.sqrt(DIM), rng);
        v = normaliseVector(originals[i - (n - COPIES)]!.map((x, j) => x + noise[j]!));
      }
      cache.append(shaOf(i), maps, v);
    }
    if (s % 100000 === 0) console.error(`written ${s}`);
  }
  await cache.close();
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'done'), String(n));
  console.log(`wrote ${n} records in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function benchDups(dir: string, n: number): Promise<void> {
  const shas = Array.from({ length: n }, (_, i) => shaOf(i));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cpu = (): number => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const phases = new Map<string, string>();
  const r = await runCurationJob(
    { kind: 'near-pairs', cacheDir: dir, backboneKey: KEY, shas, minCosine: 0.93 },
    (p) => {
      if (!phases.has(p.phase))
        phases.set(p.phase, `${((performance.now() - t0) / 1000).toFixed(0)} s (CPU ${cpu().toFixed(0)} s)`);
    },
  );
  const s = (performance.now() - t0) / 1000;
  if (r.kind !== 'near-pairs') throw new Error(r.kind);
  const found = new Set(r.pairs.map((p) => `${p.a}:${p.b}`));
  let hit = 0;
  for (let c = 0; c < COPIES; c++) if (found.has(`${c}:${n - COPIES + c}`)) hit++;
  const starts = [...phases].map(([k, v]) => `${k} from ${v}`).join(', ');
  console.log(
    `\n## duplicates over ${n} cached vectors (960-d, streamed): ${s.toFixed(1)} s (${starts}); ` +
      `${r.pairs.length} candidate pairs, planted copies found ${hit}/${COPIES}, CPU ${cpu().toFixed(0)} s, peak RSS ${rssMiB()} MiB`,
  );
}

/** "More like this" at n: the first job builds and saves the graph; later jobs open it; then the query alone. */
async function benchSimilar(dir: string, n: number): Promise<void> {
  const shas = Array.from({ length: n }, (_, i) => shaOf(i));
  const job = async (q: number): Promise<{ s: number; first: number }> => {
    const t0 = performance.now();
    const r = await runCurationJob(
      { kind: 'similar', cacheDir: dir, backboneKey: KEY, shas, query: shaOf(q), k: 20 },
      () => undefined,
    );
    if (r.kind !== 'similar') throw new Error(r.kind);
    return { s: (performance.now() - t0) / 1000, first: r.neighbours[0]?.row ?? -1 };
  };
  const folder = graphFolder(dir, KEY);
  const saved = existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.usearch'));
  const built = await job(3);
  const later = [await job(4), await job(5)];
  const source = await cacheSource({ cacheDir: dir, backboneKey: KEY, shas });
  const t1 = performance.now();
  const { index, built: rebuilt } = await openOrBuildGraph(source, { cacheDir: dir, backboneKey: KEY, shas });
  const open = performance.now() - t1;
  const times: number[] = [];
  let copiesFirst = 0;
  for (let q = 0; q < 50; q++) {
    const query = (await source.vectorOf(shaOf(q)))!;
    const t2 = performance.now();
    const rows = index
      .search(query, 21)
      .map((h) => h.row)
      .filter((r) => r !== q);
    const vectors = await source.rowsOf(rows);
    const best = rows.map((r, k) => ({ r, s: dot(query, 0, vectors, k * DIM, DIM) })).sort((a, b) => b.s - a.s);
    times.push(performance.now() - t2);
    if (best[0]?.r === n - COPIES + q) copiesFirst++;
  }
  await source.close();
  times.sort((a, b) => a - b);
  const ok = [built, ...later].filter((j, k) => j.first === n - COPIES + 3 + k).length;
  console.log(
    `\n## "more like this" at ${n} cached vectors: first job (${saved ? 'a saved graph was there: opens it' : 'builds and saves the graph'}) ` +
      `${built.s.toFixed(saved ? 1 : 0)} s; ` +
      `later jobs (open the cache, fingerprint, map the saved graph, query) ${later.map((j) => j.s.toFixed(1)).join(' s, ')} s; ` +
      `planted copy first in ${ok}/3 jobs; opening the saved graph ${open.toFixed(0)} ms (rebuilt: ${rebuilt}); ` +
      `query (k = 20, graph + exact re-score of its rows) median ${times[25]!.toFixed(2)} ms, worst of 50 ${times[49]!.toFixed(2)} ms, ` +
      `planted copy first in ${copiesFirst}/50; peak RSS ${rssMiB()} MiB`,
  );
}

/** "More like this" as the app asks it: one thread kept warm (similar-client.ts), the first question opening the
 * cache and the saved graph (built first when there is none), then 50 questions timed from the caller's side
 * (message to the thread, search, exact re-score, answer). */
async function benchWarm(dir: string, n: number): Promise<void> {
  const shas = Array.from({ length: n }, (_, i) => shaOf(i));
  const warm = new WarmSimilar();
  const place = () => ({ cacheDir: dir, backboneKey: KEY, shas });
  try {
    const t0 = performance.now();
    await warm.similar('bench', place, shaOf(3), 20);
    const first = (performance.now() - t0) / 1000;
    const times: number[] = [];
    let copiesFirst = 0;
    for (let q = 0; q < 50; q++) {
      const t1 = performance.now();
      const hits = await warm.similar('bench', place, shaOf(q), 20);
      times.push(performance.now() - t1);
      if (hits[0]?.row === n - COPIES + q) copiesFirst++;
    }
    times.sort((a, b) => a - b);
    console.log(
      `\n## "more like this" kept warm at ${n} cached vectors: first question (open the cache and the saved graph) ` +
        `${first.toFixed(1)} s; the next 50 (k = 20, through the thread) median ${times[25]!.toFixed(2)} ms, ` +
        `worst ${times[49]!.toFixed(2)} ms; planted copy first in ${copiesFirst}/50; peak RSS ${rssMiB()} MiB (this process)`,
    );
  } finally {
    await warm.close();
  }
}

/** The `stream-*` sections of bench:curation. */
export async function benchStream(section: string, n: number, work: string): Promise<void> {
  const dir = join(work, `curation-cache-${n}`);
  if (section === 'stream-cache') await writeCache(dir, n);
  if (section === 'stream-dups') await benchDups(dir, n);
  if (section === 'stream-similar') await benchSimilar(dir, n);
  if (section === 'stream-warm') await benchWarm(dir, n);
}
