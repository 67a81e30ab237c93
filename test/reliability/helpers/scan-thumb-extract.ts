// Child of bad-images.test.ts and resource-limits.test.ts: one process that does what the app does with a folder
// (create a project, add the folder, scan it through the services, fetch every thumbnail and full image by id,
// extract features for a sample through the engine process) and reports its own peak RSS.
// Usage: scan-thumb-extract PROJECT SOURCE EXTRACT_COUNT   (prints one line `summary <JSON>` at the end)
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createForkedEngine } from '../../../src/engine/host/engine-client.js';
import { createServices } from '../../../src/services/index.js';
import { rng } from './rng.js';

const [project, source, extractArg] = process.argv.slice(2);
if (!project || !source || extractArg === undefined) {
  console.error('usage: scan-thumb-extract PROJECT SOURCE EXTRACT_COUNT');
  process.exit(2);
}
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 25);
const phases: Record<string, { seconds: number; peakRssMb: number }> = {};
let phaseStart = performance.now();
const endPhase = (name: string): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  phases[name] = { seconds: (performance.now() - phaseStart) / 1000, peakRssMb: Math.round(peakRss / 2 ** 20) };
  phaseStart = performance.now();
};

const services = createServices({ dataDir: join(project, '..', 'app-data') });
const { api } = services;
await api.projects.create(project, 'reliability');
await api.settings.set({ reviewer: 'tester' });
await api.sources.add(source, 'inbox');
const job = await api.jobs.scan();
const result = await api.jobs.wait(job.id);
if (result.outcome !== 'done') {
  console.error(`scan ended ${result.outcome}: ${result.error}`);
  process.exit(3);
}
endPhase('scan');

const db = new Database(join(project, 'project.db'), { readonly: true });
const rows = db.prepare('SELECT id, rel_path, status, error_code, sha256 FROM images ORDER BY id').all() as {
  id: number;
  rel_path: string;
  status: string;
  error_code: string | null;
  sha256: string | null;
}[];
db.close();
let thumbs = 0;
let fulls = 0;
const okWithoutThumb: string[] = [];
for (const row of rows) {
  const thumb = await services.images('thumb', row.id);
  const full = await services.images('full', row.id);
  if (thumb) thumbs += 1;
  else if (row.status === 'ok') okWithoutThumb.push(row.rel_path);
  if (full) fulls += 1;
}
endPhase('thumbnails');

// Extraction on a seeded sample of the ok images (all of them when the count allows).
const ok = rows.filter((r) => r.status === 'ok' && r.sha256);
const r = rng(7);
const want = Math.min(Number(extractArg), ok.length);
const sample = new Map<string, string>();
while (sample.size < want) {
  const row = ok[r.int(0, ok.length - 1)] as (typeof ok)[number];
  sample.set(row.sha256 as string, join(source, row.rel_path));
}
let extract: unknown = null;
if (want > 0) {
  const engine = createForkedEngine();
  try {
    const res = await engine.extract({
      items: [...sample].map(([sha256, path]) => ({ sha256, path })),
      backbone: { spec: 'mobilenet_v2', inputSize: 96 },
      cacheDir: join(project, 'cache', 'features'),
    });
    extract = {
      requested: want,
      extracted: res.extracted,
      cached: res.cached,
      failed: res.failed.map((f) => ({ path: f.path, code: f.code })),
      imagesPerSecond: res.imagesPerSecond,
    };
  } finally {
    await engine.close();
  }
}
endPhase('extract');
clearInterval(sampler);
await services.close();
console.log(
  `summary ${JSON.stringify({
    scan: result.result,
    rows: rows.map((x) => [x.rel_path, x.status, x.error_code]),
    thumbs,
    fulls,
    okWithoutThumb,
    extract,
    phases,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}`,
);
