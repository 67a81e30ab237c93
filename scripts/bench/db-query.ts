// Benchmark of the project store at review-grid scale: generates N images (default 1,000,000) with a finished
// run through the real repositories in a temp database, then times the grid's typical queries.
//   node bin/run-ts.js scripts/bench/db-query.ts [N] [SCORERS]
// Prints insert rates, per-query times (median of repeats with totals cached, and the first call that counts),
// and the machine it ran on. Target (issue 2): a 200-row page sorted/filtered by score in <= 50 ms at 1M.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  addSource,
  appendDecisions,
  beginScan,
  createRun,
  finishRun,
  openDatabase,
  queryImages,
  setCurrentRun,
  upsertScanned,
  writeResults,
  type ImageListQuery,
  type RunImageResult,
  type ScannedFile,
} from '../../src/db/index.js';
import { createRng } from '../../src/shared/random.js';

const N = Number(process.argv[2] ?? 1_000_000);
const SCORER_COUNT = Number(process.argv[3] ?? 3);
const SCORERS = ['ssod', 'msp', 'energy', 'knn', 'mahalanobis', 'maxlogit'].slice(0, SCORER_COUNT);
const BATCH = 10_000;
const CLASSES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];
const RARE = 'rare'; // 0.2 % of images: the worst case for "walk the score index and filter"

// Deterministic pseudo-random numbers so every run measures the same data.
const rand = createRng(12345);

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'ssod-bench-db-'));
const file = join(dir, 'project.db');
try {
  const db = openDatabase(file);
  const train = addSource(db, '/bench/train', 'train');
  const inbox = addSource(db, '/bench/inbox', 'inbox');
  const trainGen = beginScan(db, train.id);
  const inboxGen = beginScan(db, inbox.id);
  const inboxShare = 0.2;

  let t = process.hrtime.bigint();
  const ids: number[] = [];
  for (let start = 0; start < N; start += BATCH) {
    const trainFiles: ScannedFile[] = [];
    const inboxFiles: ScannedFile[] = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const isInbox = rand() < inboxShare;
      const cls = rand() < 0.002 ? RARE : (CLASSES[i % CLASSES.length] ?? 'c0');
      const isError = rand() < 0.005;
      const f: ScannedFile = {
        relPath: isInbox ? `batch${Math.floor(i / 1000)}/img${i}.jpg` : `${cls}/img${i}.jpg`,
        size: 50_000 + i,
        mtimeMs: 1_700_000_000_000 + i,
        sha256: isError ? null : i.toString(16).padStart(64, '0'),
        width: isError ? null : 640,
        height: isError ? null : 480,
        format: isError ? null : 'jpeg',
        class: isInbox ? null : cls,
        status: isError ? 'error' : 'ok',
        errorCode: isError ? 'truncated' : null,
        errorMessage: isError ? 'truncated' : null,
      };
      (isInbox ? inboxFiles : trainFiles).push(f);
    }
    ids.push(
      ...upsertScanned(db, train.id, trainGen, trainFiles),
      ...upsertScanned(db, inbox.id, inboxGen, inboxFiles),
    );
  }
  const scanMs = ms(t);

  const errorIds = new Set(db.prepare("SELECT id FROM images WHERE status = 'error'").pluck().all() as number[]);
  const run = createRun(db, { backbone: 'bench', backend: 'none', seed: 1, config: {} });
  t = process.hrtime.bigint();
  let batch: RunImageResult[] = [];
  let scored = 0;
  for (const imageId of ids) {
    if (errorIds.has(imageId)) continue;
    const ssod = rand() ** 3; // skewed like real OOD scores: most images low
    const scores: Record<string, number> = {};
    for (const s of SCORERS) scores[s] = s === 'ssod' ? ssod : 0.7 * ssod + 0.3 * rand();
    batch.push({
      imageId,
      predicted: CLASSES[imageId % CLASSES.length] ?? null,
      top: [{ class: CLASSES[imageId % CLASSES.length] ?? 'c0', prob: 1 - ssod }],
      scores,
      flagged: ssod > 0.857, // ~5 % flagged, as at a 95 % ID pass rate
    });
    if (batch.length === BATCH) {
      writeResults(db, run.id, batch);
      scored += batch.length;
      batch = [];
    }
  }
  writeResults(db, run.id, batch);
  scored += batch.length;
  const writeMs = ms(t);
  finishRun(db, run.id, {
    metrics: {},
    thresholds: { ssod: 0.857 },
    defaultScorer: 'ssod',
    scorers: SCORERS,
    classes: [...CLASSES, RARE],
    lossCurve: [],
    snapshot: { images: scored, decisions: 0 },
    modelPath: null,
  });
  setCurrentRun(db, run.id);

  // 10,000 decisions in 1,000-row batches (what bulk review does), spread over the dataset.
  t = process.hrtime.bigint();
  for (let b = 0; b < 10; b++) {
    const batchIds: number[] = [];
    for (let k = 0; k < 1000; k++) batchIds.push(ids[(b * 1000 + k) * Math.floor(N / 10_000)] ?? 1);
    appendDecisions(db, { imageIds: batchIds, action: b < 5 ? 'reject' : 'keep', reviewer: 'bench', runId: run.id });
  }
  const decideMs = ms(t) / 10;
  t = process.hrtime.bigint();
  db.pragma('optimize=0x10002'); // what the services should run after a big scan or run (ANALYZE as needed)
  const analyzeMs = ms(t);

  const base: ImageListQuery = { runId: run.id, defaultScorer: 'ssod', limit: 200 };
  const cases: [string, Partial<ImageListQuery>][] = [
    ['sort ssod desc (page 1)', {}],
    ['sort ssod desc, offset 10,000', { offset: 10_000 }],
    ['sort msp asc', { sortBy: 'msp', order: 'asc' }],
    ['filter class c3 (11%)', { class: 'c3' }],
    [`filter class ${RARE} (0.2%)`, { class: RARE }],
    ['filter role inbox', { role: 'inbox' }],
    ['filter flagged (stored)', { flagged: true }],
    ['filter not flagged (stored)', { flagged: false }],
    ['flagged at threshold 0.5', { flagged: true, threshold: 0.5 }],
    ['filter decision none', { decision: 'none' }],
    ['filter decision reject', { decision: 'reject' }],
    ['class c3 + decision none + flagged', { class: 'c3', decision: 'none', flagged: true }],
    ['status error', { status: 'error' }],
    ['sort path', { sortBy: 'path' }],
  ];
  const results: { name: string; first: number; median: number; max: number; total: number }[] = [];
  for (const [name, extra] of cases) {
    let t0 = process.hrtime.bigint();
    const first = queryImages(db, { ...base, ...extra });
    const firstMs = ms(t0);
    const times: number[] = [];
    for (let r = 0; r < 7; r++) {
      t0 = process.hrtime.bigint();
      // A different page each time, as scrolling does; the total is cached since the filters did not change.
      queryImages(db, { ...base, ...extra, offset: (extra.offset ?? 0) + r * 200 });
      times.push(ms(t0));
    }
    times.sort((a, b) => a - b);
    results.push({ name, first: firstMs, median: times[3] ?? 0, max: times[6] ?? 0, total: first.total });
  }
  const size = statSync(file).size;
  db.close();

  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(
    `db-query benchmark: ${N.toLocaleString('en')} images, ${SCORERS.length} scorers (${SCORERS.join(', ')})`,
  );
  console.log(
    `machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  );
  console.log(`command: node bin/run-ts.js scripts/bench/db-query.ts ${N} ${SCORERS.length}`);
  console.log(`scan upserts: ${((N / scanMs) * 1000).toFixed(0)} images/s (batches of ${BATCH})`);
  console.log(`run results: ${((scored / writeMs) * 1000).toFixed(0)} images/s (${SCORERS.length} scorers each)`);
  console.log(`decisions: ${decideMs.toFixed(1)} ms per 1,000-image batch; analyze ${analyzeMs.toFixed(0)} ms`);
  console.log(`database size: ${(size / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    'query (limit 200)'.padEnd(38) +
      'page ms (median/max)'.padStart(22) +
      'first incl. count ms'.padStart(22) +
      'total'.padStart(10),
  );
  for (const r of results) {
    console.log(
      r.name.padEnd(38) +
        `${r.median.toFixed(1)} / ${r.max.toFixed(1)}`.padStart(22) +
        r.first.toFixed(1).padStart(22) +
        String(r.total).padStart(10),
    );
  }
  const worst = Math.max(...results.map((r) => r.median));
  console.log(`worst median page: ${worst.toFixed(1)} ms (target <= 50 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
