// `npm run bench:curation`: the curation algorithms on synthetic data of known shape (clustered unit vectors of
// the default backbone's pooled width, 960, with planted near copies), each section selectable:
//   index    all-neighbours (k = 10) by exact blocked search, usearch and hnswlib-node at growing sizes: where
//            exact stops being faster, and the figures the choice in neighbour-index.ts rests on;
//   dups     duplicate candidates over N vectors (default 100,000) with the chosen index, recall of planted copies;
//   query    one "more like this" query against an index of N vectors (default 1,000,000), built in chunks;
//   labels   confident learning + rankings over N images (default 100,000) of synthetic probabilities;
//   map      the 2-D map of N vectors (default 100,000): fast layout, then UMAP on a sample + kNN placement;
//   fmnist   label issues on Fashion-MNIST with 5% of the labels moved (MobileNetV2 features, cached in --work);
//   stream-cache, stream-dups, stream-similar, stream-warm: the jobs at --n (default 1,000,000) through a feature cache
//            (curation-stream.ts; not in the default set: the cache takes minutes to write).
// Usage: npm run bench:curation -- [--only index,dups,query,labels,map,fmnist] [--dups N] [--query N] [--labels N]
//        [--map N] [--work DIR] [--per-class N] [--n N]
import {
  allNeighbours,
  ExactIndex,
  ExactNativeIndex,
  UsearchIndex,
  type IndexKind,
} from '../../src/engine/curation/neighbour-index.js';
import { nearCandidates } from '../../src/engine/curation/duplicates.js';
import { streamNearCandidates } from '../../src/engine/curation/near-stream.js';
import { matrixSource } from '../../src/engine/curation/pooled-source.js';
import { clusteredVectors } from '../../src/engine/curation/testing.js';
import { matrix, normaliseRows, row, type Matrix } from '../../src/engine/curation/vectors.js';
import { createRng, normals } from '../../src/engine/ssod/rng.js';
import { commandLine, machineLine } from './machine.js';
import { benchFashionNoise, benchLabels, benchMap } from './curation-sections.js';
import { benchStream } from './curation-stream.js';
import { benchSpace, type SpaceCase } from './curation-projected.js';

const DIM = 960;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function rssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** `n` clustered vectors, the last `copies` of them near copies of the first `copies` (noise 0.02 per axis). */
function withCopies(n: number, copies: number, seed: number): Matrix {
  const perCluster = 50;
  const m = clusteredVectors(Math.ceil(n / perCluster), perCluster, DIM, 0.6, seed);
  const data = m.data.subarray(0, n * DIM);
  const rng = createRng(seed + 1);
  for (let c = 0; c < copies; c++) {
    const noise = normals(DIM, 0.02 / Math.sqrt(DIM), rng);
    const dst = (n - copies + c) * DIM;
    for (let j = 0; j < DIM; j++) data[dst + j] = data[c * DIM + j]! + noise[j]!;
  }
  return normaliseRows(matrix(data, n, DIM));
}

function timeAll(m: Matrix, kind: IndexKind): number {
  const t0 = performance.now();
  allNeighbours(m, 10, { force: kind, threads: 0 });
  return seconds(t0);
}

function benchIndex(): void {
  console.log('\n## all-neighbours, k = 10, 960-d (seconds)');
  console.log(
    '| n | exact (JS, blocked) | exact (usearch native brute force) | usearch HNSW (i8) | hnswlib-node HNSW |',
  );
  console.log('|---|---|---|---|---|');
  const kinds: IndexKind[] = ['exact', 'exact-native', 'usearch', 'hnswlib'];
  for (const n of [250, 500, 1000, 2000, 4000, 10000, 20000]) {
    const m = withCopies(n, 10, n);
    const cells = kinds.map((k) => (n > 4000 && k.startsWith('exact') ? '(not run)' : timeAll(m, k).toFixed(2)));
    console.log(`| ${n} | ${cells.join(' | ')} |`);
  }
}

function benchDups(n: number): void {
  const copies = 1000;
  const m = withCopies(n, copies, 11);
  const t0 = performance.now();
  const pairs = nearCandidates(m, 0.93);
  const s = seconds(t0);
  const found = new Set(pairs.map((p) => `${p.a}:${p.b}`));
  let hit = 0;
  for (let c = 0; c < copies; c++) if (found.has(`${c}:${n - copies + c}`)) hit++;
  console.log(
    `\n## duplicates over ${n} vectors (960-d): ${s.toFixed(1)} s (index + all-neighbours + exact check of pairs), ` +
      `${pairs.length} candidate pairs, planted copies found ${hit}/${copies}, peak RSS ${rssMiB()} MiB`,
  );
}

/** The streamed duplicate search (the app's path) over `n` in-memory vectors, by either method. */
async function benchStreamDups(n: number, method: 'buckets' | 'graph', dims: number, k: number): Promise<void> {
  const copies = 1000;
  const m = withCopies(n, copies, 11);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const phases: string[] = [];
  const pairs = await streamNearCandidates(matrixSource(m), 0.93, {
    method,
    k,
    buckets: { dims, threads: Number(arg('threads', '2')) },
    onProgress: (p) => {
      if (phases.at(-1)?.startsWith(p.phase) === true) return;
      const c = process.cpuUsage(c0);
      phases.push(`${p.phase} ${seconds(t0).toFixed(1)} s (CPU ${((c.user + c.system) / 1e6).toFixed(1)} s)`);
    },
  });
  const s = seconds(t0);
  const cpu = process.cpuUsage(c0);
  const found = new Set(pairs.map((p) => `${p.a}:${p.b}`));
  let hit = 0;
  for (let c = 0; c < copies; c++) if (found.has(`${c}:${n - copies + c}`)) hit++;
  console.log(
    `\n## streamed duplicates over ${n} vectors (960-d), ${method}, dims ${dims}, k ${k}: ${s.toFixed(1)} s wall, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (phases from: ${phases.join(', ')}); ${pairs.length} pairs, ` +
      `planted copies found ${hit}/${copies}, peak RSS ${rssMiB()} MiB`,
  );
}

function benchQuery(n: number): void {
  const chunk = 20000;
  const index = new UsearchIndex(DIM, { threads: 0 });
  const t0 = performance.now();
  let probe: Float32Array | undefined;
  for (let s = 0; s < n; s += chunk) {
    const m = clusteredVectors(chunk / 50, 50, DIM, 0.6, 1000 + s);
    probe ??= row(m, 3).slice();
    index.add(m);
  }
  const build = seconds(t0);
  const times: number[] = [];
  for (let q = 0; q < 50; q++) {
    const query = probe!.map((x, j) => x + (j === q ? 0.01 : 0));
    const t1 = performance.now();
    const hits = index.search(query, 20);
    times.push(performance.now() - t1);
    if (q === 0 && hits[0]!.row !== 3) console.log(`warning: nearest of row 3 is ${hits[0]!.row}`);
  }
  times.sort((a, b) => a - b);
  console.log(
    `\n## "more like this" at ${index.size} vectors (960-d, usearch i8): build ${build.toFixed(0)} s; ` +
      `query (k = 20) median ${times[25]!.toFixed(2)} ms, worst of 50 ${times[49]!.toFixed(2)} ms; peak RSS ${rssMiB()} MiB`,
  );
  const base = clusteredVectors(2000, 50, DIM, 0.6, 5);
  for (const exact of [new ExactIndex(base), new ExactNativeIndex(base)]) {
    const t2 = performance.now();
    exact.search(probe!, 20);
    console.log(
      `   one query by ${exact.kind} over 100,000 (no index to build): ${(performance.now() - t2).toFixed(1)} ms`,
    );
  }
}

/** The duplicate search's graph in full and projected spaces (curation-projected.ts); --cases picks some. */
function benchDupsSpace(n: number, picked: string[]): void {
  const m = withCopies(n, 1000, 11);
  const cases: SpaceCase[] = [
    { label: '960-d i8 cos 12/48/48', dims: DIM, metric: 'cos', graph: { quantization: 'i8' } },
    { label: '128-d f32 l2sq 12/48/48', dims: 128, metric: 'l2sq', graph: { quantization: 'f32' } },
    { label: '128-d i8 cos 12/48/48', dims: 128, metric: 'cos', graph: { quantization: 'i8' } },
    { label: '64-d f32 l2sq 12/48/48', dims: 64, metric: 'l2sq', graph: { quantization: 'f32' } },
    {
      label: '960-d i8 cos 8/32/32',
      dims: DIM,
      metric: 'cos',
      graph: { connectivity: 8, expansionAdd: 32, expansionSearch: 32 },
    },
    {
      label: '128-d f32 l2sq 8/32/32',
      dims: 128,
      metric: 'l2sq',
      graph: { quantization: 'f32', connectivity: 8, expansionAdd: 32, expansionSearch: 32 },
    },
    { label: '960-d i8 cos 12/48/32', dims: DIM, metric: 'cos', graph: { expansionSearch: 32 } },
    { label: '960-d i8 cos 8/48/48', dims: DIM, metric: 'cos', graph: { connectivity: 8 } },
    {
      label: '960-d i8 cos 8/40/24',
      dims: DIM,
      metric: 'cos',
      graph: { connectivity: 8, expansionAdd: 40, expansionSearch: 24 },
    },
  ];
  console.log(`\n## duplicate graph by space, ${n} vectors, minCosine 0.93, k = 8 (seconds)`);
  console.log('| space | project | build | search | pairs proposed | planted copies proposed |');
  console.log('|---|---|---|---|---|---|');
  cases.forEach((c, i) => {
    if (picked.length === 0 || picked.includes(String(i))) console.log(benchSpace(m, 1000, 0.93, c));
  });
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(commandLine('bench:curation'));
  const only = arg('only', 'index,dups,query,labels,map,fmnist').split(',');
  if (only.includes('index')) benchIndex();
  if (only.includes('dups')) benchDups(Number(arg('dups', '100000')));
  if (only.includes('dups-space'))
    benchDupsSpace(Number(arg('dups', '100000')), arg('cases', '').split(',').filter(Boolean));
  if (only.includes('stream-mem'))
    await benchStreamDups(
      Number(arg('dups', '100000')),
      arg('method', 'buckets') === 'graph' ? 'graph' : 'buckets',
      Number(arg('dims', '64')),
      Number(arg('k', '8')),
    );
  if (only.includes('query')) benchQuery(Number(arg('query', '1000000')));
  if (only.includes('labels')) benchLabels(Number(arg('labels', '100000')));
  if (only.includes('map')) {
    const opt = (name: string): number | undefined =>
      process.argv.includes(`--${name}`) ? Number(arg(name, '0')) : undefined;
    await benchMap(Number(arg('map', '100000')), opt('reduce'), opt('sample'));
  }
  if (only.includes('fmnist')) await benchFashionNoise(arg('work', '/tmp/ssod-bench'), Number(arg('per-class', '500')));
  for (const section of only.filter((s) => s.startsWith('stream-')))
    await benchStream(section, Number(arg('n', '1000000')), arg('work', '/tmp/ssod-bench'));
  console.log(`\n${machineLine()}`);
}

await main();
