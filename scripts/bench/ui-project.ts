// A real project for `npm run bench:ui`: created by the services, then filled with N generated image rows (train
// and inbox, a few classes, 0.5 % scan errors), one finished current run with a score from every scorer plus
// flags, and some decisions, written straight through the store's repositories (a scan and a training run of
// 1,000,000 images would take hours here). Every ok row carries the hash of one real PNG in the source folder, so
// all rows share one thumbnail that the image provider makes on the first request; only the first row's
// full-size image exists on disk (the bench shows thumbnails only).
// With a folder given (`--project DIR` of ui.ts) the project is kept there and reused by later runs of the same
// size (DIR/bench.json says what it holds), so a 1,000,000-image project is generated once, not on every run.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  addSource,
  appendDecisions,
  beginScan,
  createRun,
  finishRun,
  openDatabase,
  optimize,
  setCurrentRun,
  upsertScanned,
  writeResults,
  type Db,
  type RunImageResult,
  type ScannedFile,
} from '../../src/db/index.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createRng } from '../../src/shared/random.js';

export const BENCH_SCORERS = ['ssod', 'msp', 'maxlogit', 'energy', 'knn', 'mahalanobis'] as const;
export const BENCH_CLASSES = ['boot', 'coat', 'dress', 'shirt', 'sneaker', 'trouser'] as const;
const BATCH = 10_000;
const FLAG_SHARE = 0.05; // thresholds at each scorer's 95th percentile, as at a 95 % ID pass rate
const MANIFEST = 'bench.json';

export interface UiProject {
  services: Services;
  projectDir: string;
  images: number;
  scorers: readonly string[];
  scored: number;
  decisions: number;
  /** Milliseconds spent generating rows, run and decisions (not counted in any UI figure); 0 when reused. */
  generateMs: number;
  /** True when an earlier run's kept project was opened instead of generating one. */
  reused: boolean;
  dispose(): Promise<void>;
}

/** What a kept project holds (DIR/bench.json). */
interface Manifest {
  images: number;
  scored: number;
  decisions: number;
  firstId: number;
  generateMs: number;
}

interface Generated {
  scored: number;
  decisions: number;
  firstId: number;
}

type ScorerName = (typeof BENCH_SCORERS)[number];
interface ScoredRow {
  imageId: number;
  cls: string;
  scores: Record<ScorerName, number>;
}

/** Scores as the scorers would give them: one latent "OOD-ness" plus scorer-specific noise and scale. */
function scoresFor(ood: number, rand: () => number): Record<ScorerName, number> {
  return {
    ssod: ood,
    msp: Math.min(1, 0.6 * ood + 0.4 * rand()),
    maxlogit: -12 + 8 * ood + 2 * rand(),
    energy: -14 + 10 * ood + 2 * rand(),
    knn: 0.4 + 0.9 * ood + 0.3 * rand(),
    mahalanobis: 20 + 80 * ood + 15 * rand(),
  };
}

function percentile(values: number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function scannedFile(i: number, inInbox: boolean, error: boolean, sha256: string, size: number): ScannedFile {
  const cls = BENCH_CLASSES[i % BENCH_CLASSES.length]!;
  return {
    relPath:
      i === 0
        ? `${BENCH_CLASSES[0]}/img0.png`
        : inInbox
          ? `batch${Math.floor(i / 1000)}/img${i}.png`
          : `${cls}/img${i}.png`,
    size,
    mtimeMs: 1_700_000_000_000 + i,
    sha256: error ? null : sha256,
    width: error ? null : 96,
    height: error ? null : 96,
    format: error ? null : 'png',
    class: inInbox ? null : cls,
    status: error ? 'error' : 'ok',
    errorCode: error ? 'truncated' : null,
    errorMessage: error ? 'truncated file (generated)' : null,
  };
}

/** N image rows in train and inbox (row 0 is the real file); returns their ids and which are scan errors. */
function writeImages(
  db: Db,
  sourceDir: string,
  count: number,
  png: Buffer,
  rand: () => number,
): { ids: number[]; isError: Set<number> } {
  const sha256 = createHash('sha256').update(png).digest('hex');
  const train = addSource(db, join(sourceDir, 'train'), 'train');
  const inbox = addSource(db, join(sourceDir, 'inbox'), 'inbox');
  const gens = [beginScan(db, train.id), beginScan(db, inbox.id)] as const;
  const ids: number[] = [];
  const isError = new Set<number>();
  for (let start = 0; start < count; start += BATCH) {
    const files: [ScannedFile[], ScannedFile[]] = [[], []];
    const errors: [boolean[], boolean[]] = [[], []];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const inInbox = i > 0 && rand() < 0.2;
      const error = i > 0 && rand() < 0.005;
      files[inInbox ? 1 : 0].push(scannedFile(i, inInbox, error, sha256, png.length));
      errors[inInbox ? 1 : 0].push(error);
    }
    [train.id, inbox.id].forEach((sourceId, k) => {
      const batchIds = upsertScanned(db, sourceId, gens[k]!, files[k]!);
      batchIds.forEach((id, j) => errors[k]![j] && isError.add(id));
      ids.push(...batchIds);
    });
  }
  return { ids, isError };
}

/** One finished current run: every scorer's score, thresholds at the 95th percentile, flags from ssod's. */
function writeRun(db: Db, rows: ScoredRow[]): number {
  const thresholds: Record<string, number> = {};
  for (const s of BENCH_SCORERS) {
    thresholds[s] = percentile(
      rows.map((r) => r.scores[s]),
      1 - FLAG_SHARE,
    );
  }
  const run = createRun(db, { backbone: 'bench (generated)', backend: 'none', seed: 1, config: {} });
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch: RunImageResult[] = rows.slice(start, start + BATCH).map((r) => {
      const p = Math.max(0.05, 1 - r.scores.ssod);
      const other = BENCH_CLASSES[(BENCH_CLASSES.indexOf(r.cls as never) + 1) % BENCH_CLASSES.length]!;
      return {
        imageId: r.imageId,
        predicted: r.cls,
        top: [
          { class: r.cls, prob: p },
          { class: other, prob: (1 - p) * 0.7 },
        ],
        scores: r.scores,
        flagged: r.scores.ssod >= thresholds.ssod!,
      };
    });
    writeResults(db, run.id, batch);
  }
  finishRun(db, run.id, {
    metrics: {},
    thresholds,
    defaultScorer: 'ssod',
    scorers: [...BENCH_SCORERS],
    classes: [...BENCH_CLASSES],
    lossCurve: [],
    snapshot: { images: rows.length, decisions: 0 },
    modelPath: null,
  });
  setCurrentRun(db, run.id);
  return run.id;
}

/** About 1,000 images decided (every `step`-th scored one, actions in turn), one bulk batch per action. */
function writeDecisions(db: Db, rows: ScoredRow[], runId: number): number {
  const step = Math.max(1, Math.floor(rows.length / 1000));
  let decisions = 0;
  (['keep', 'reject', 'relabel', 'unsure'] as const).forEach((action, b) => {
    const imageIds: number[] = [];
    for (let k = b * step; k < rows.length; k += 4 * step) imageIds.push(rows[k]!.imageId);
    if (!imageIds.length) return;
    appendDecisions(db, {
      imageIds,
      action,
      newClass: action === 'relabel' ? BENCH_CLASSES[1] : null,
      reviewer: 'bench',
      runId,
    });
    decisions += imageIds.length;
  });
  return decisions;
}

/** Rows, run and decisions written into the closed project's database. Seeded: every run measures the same data. */
function generate(dbFile: string, sourceDir: string, count: number, png: Buffer): Generated {
  const db = openDatabase(dbFile);
  try {
    const rand = createRng(12345);
    const { ids, isError } = writeImages(db, sourceDir, count, png, rand);
    // Scores first (thresholds are percentiles of them), then the flags they imply.
    const rows: ScoredRow[] = [];
    for (const imageId of ids) {
      if (isError.has(imageId)) continue;
      const ood = rand() < 0.03 ? 0.6 + 0.4 * rand() : rand() ** 3 * 0.8; // most low, a few clearly OOD
      rows.push({ imageId, cls: BENCH_CLASSES[imageId % BENCH_CLASSES.length]!, scores: scoresFor(ood, rand) });
    }
    const runId = writeRun(db, rows);
    const decisions = writeDecisions(db, rows, runId);
    optimize(db);
    return { scored: rows.length, decisions, firstId: ids[0]! };
  } finally {
    db.close();
  }
}

function readManifest(root: string, count: number): Manifest | null {
  const file = join(root, MANIFEST);
  if (!existsSync(file)) return null;
  const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  return m.images === count ? m : null;
}

/** Generates a project in `root` (or reopens the one an earlier run kept there) and opens it in the services. */
export async function createUiProject(count: number, keepIn?: string): Promise<UiProject> {
  const root = keepIn ?? mkdtempSync(join(tmpdir(), 'ssod-bench-ui-'));
  let manifest = keepIn ? readManifest(root, count) : null;
  const reused = manifest !== null;
  if (keepIn && !reused) rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const services = createServices({ dataDir: join(root, 'data') });
  const drop = async () => {
    await services.close();
    if (!keepIn) rmSync(root, { recursive: true, force: true });
  };
  const projectDir = join(root, 'project');
  try {
    manifest ??= await generateProject(services, root, projectDir, count);
    if (keepIn && !reused) writeFileSync(join(root, MANIFEST), JSON.stringify(manifest, null, 2));
    await services.api.projects.open(projectDir);
    await services.api.settings.set({ reviewer: 'bench', theme: 'light' });
    // The provider makes the shared thumbnail from the first row's real file; every other row hits the cache.
    if (!(await services.images('thumb', manifest.firstId))) {
      throw new Error('the bench project has no thumbnail for its first image');
    }
    const { scored, decisions, generateMs } = manifest;
    return {
      services,
      projectDir,
      images: count,
      scorers: BENCH_SCORERS,
      scored,
      decisions,
      reused,
      dispose: drop,
      generateMs: reused ? 0 : generateMs,
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

async function generateProject(services: Services, root: string, projectDir: string, count: number): Promise<Manifest> {
  const t0 = performance.now();
  const sourceDir = join(root, 'source');
  // The one real image every row points at (by content hash; the first row by path too).
  const png = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .png()
    .toBuffer();
  mkdirSync(join(sourceDir, 'train', BENCH_CLASSES[0]), { recursive: true });
  mkdirSync(join(sourceDir, 'inbox'), { recursive: true });
  writeFileSync(join(sourceDir, 'train', BENCH_CLASSES[0], 'img0.png'), png);
  await services.api.projects.create(projectDir, `Bench ${count.toLocaleString('en-US')} images`);
  await services.api.projects.close(); // the services let go of project.db while the rows are written
  const generated = generate(join(projectDir, 'project.db'), sourceDir, count, png);
  return { images: count, ...generated, generateMs: performance.now() - t0 };
}
