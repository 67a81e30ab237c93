// A real project for `npm run bench:ui`: created by the services in a temp folder, then filled with N generated
// image rows (train and inbox, a few classes, 0.5 % scan errors), one finished current run with a score from
// every scorer plus flags, and some decisions, written straight through the store's repositories (a scan and
// a training run of 100,000 images would take hours here). Every ok row carries the hash of one real PNG in a
// temp source folder, so all rows share one thumbnail that the image provider makes on the first request;
// only the first row's full-size image exists on disk (the bench shows thumbnails only).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  type RunImageResult,
  type ScannedFile,
} from '../../src/db/index.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createRng } from '../../src/shared/random.js';

export const BENCH_SCORERS = ['ssod', 'msp', 'maxlogit', 'energy', 'knn', 'mahalanobis'] as const;
export const BENCH_CLASSES = ['boot', 'coat', 'dress', 'shirt', 'sneaker', 'trouser'] as const;
const BATCH = 10_000;
const FLAG_SHARE = 0.05; // thresholds at each scorer's 95th percentile, as at a 95 % ID pass rate

export interface UiProject {
  services: Services;
  projectDir: string;
  images: number;
  scorers: readonly string[];
  scored: number;
  decisions: number;
  /** Milliseconds spent generating rows, run and decisions (not counted in any UI figure). */
  generateMs: number;
  dispose(): Promise<void>;
}

/** Scores as the scorers would give them: one latent "OOD-ness" plus scorer-specific noise and scale. */
function scoresFor(ood: number, rand: () => number): Record<(typeof BENCH_SCORERS)[number], number> {
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

export async function createUiProject(count: number): Promise<UiProject> {
  const root = mkdtempSync(join(tmpdir(), 'ssod-bench-ui-'));
  const services = createServices({ dataDir: join(root, 'data') });
  try {
    const t0 = performance.now();
    const projectDir = join(root, 'project');
    const sourceDir = join(root, 'source');
    // The one real image every row points at (by content hash; the first row by path too).
    const png = await sharp({
      create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 120, b: 160 } },
    })
      .png()
      .toBuffer();
    const firstRel = `${BENCH_CLASSES[0]}/img0.png`;
    mkdirSync(join(sourceDir, 'train', BENCH_CLASSES[0]), { recursive: true });
    mkdirSync(join(sourceDir, 'inbox'), { recursive: true });
    writeFileSync(join(sourceDir, 'train', firstRel), png);
    const sha256 = createHash('sha256').update(png).digest('hex');

    await services.api.projects.create(projectDir, `Bench ${count.toLocaleString('en-US')} images`);
    await services.api.projects.close(); // the services let go of project.db while the rows are written

    const db = openDatabase(join(projectDir, 'project.db'));
    let scored = 0;
    let decisions = 0;
    let firstId = 0;
    try {
      // Seeded so every run measures the same data.
      const rand = createRng(12345);
      const train = addSource(db, join(sourceDir, 'train'), 'train');
      const inbox = addSource(db, join(sourceDir, 'inbox'), 'inbox');
      const trainGen = beginScan(db, train.id);
      const inboxGen = beginScan(db, inbox.id);
      const ids: number[] = [];
      const isError = new Set<number>();
      for (let start = 0; start < count; start += BATCH) {
        const trainFiles: ScannedFile[] = [];
        const inboxFiles: ScannedFile[] = [];
        const batchErrors: boolean[][] = [[], []];
        for (let i = start; i < Math.min(count, start + BATCH); i++) {
          const inInbox = i > 0 && rand() < 0.2;
          const error = i > 0 && rand() < 0.005;
          const cls = BENCH_CLASSES[i % BENCH_CLASSES.length]!;
          const f: ScannedFile = {
            relPath: i === 0 ? firstRel : inInbox ? `batch${Math.floor(i / 1000)}/img${i}.png` : `${cls}/img${i}.png`,
            size: png.length,
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
          (inInbox ? inboxFiles : trainFiles).push(f);
          batchErrors[inInbox ? 1 : 0]!.push(error);
        }
        const trainIds = upsertScanned(db, train.id, trainGen, trainFiles);
        const inboxIds = upsertScanned(db, inbox.id, inboxGen, inboxFiles);
        trainIds.forEach((id, k) => batchErrors[0]![k] && isError.add(id));
        inboxIds.forEach((id, k) => batchErrors[1]![k] && isError.add(id));
        ids.push(...trainIds, ...inboxIds);
      }
      firstId = ids[0]!; // row 0 is the real file (first of the first train batch)

      // Scores first (thresholds are percentiles of them), then the flags they imply.
      const rows: { imageId: number; cls: string; scores: Record<string, number> }[] = [];
      for (const imageId of ids) {
        if (isError.has(imageId)) continue;
        const ood = rand() < 0.03 ? 0.6 + 0.4 * rand() : rand() ** 3 * 0.8; // most low, a few clearly OOD
        rows.push({ imageId, cls: BENCH_CLASSES[imageId % BENCH_CLASSES.length]!, scores: scoresFor(ood, rand) });
      }
      const thresholds: Record<string, number> = {};
      for (const s of BENCH_SCORERS) {
        thresholds[s] = percentile(
          rows.map((r) => r.scores[s]!),
          1 - FLAG_SHARE,
        );
      }
      const run = createRun(db, { backbone: 'bench (generated)', backend: 'none', seed: 1, config: {} });
      for (let start = 0; start < rows.length; start += BATCH) {
        const batch: RunImageResult[] = rows.slice(start, start + BATCH).map((r) => {
          const p = Math.max(0.05, 1 - r.scores.ssod!);
          const other = BENCH_CLASSES[(BENCH_CLASSES.indexOf(r.cls as never) + 1) % BENCH_CLASSES.length]!;
          return {
            imageId: r.imageId,
            predicted: r.cls,
            top: [
              { class: r.cls, prob: p },
              { class: other, prob: (1 - p) * 0.7 },
            ],
            scores: r.scores,
            flagged: r.scores.ssod! >= thresholds.ssod!,
          };
        });
        writeResults(db, run.id, batch);
        scored += batch.length;
      }
      finishRun(db, run.id, {
        metrics: {},
        thresholds,
        defaultScorer: 'ssod',
        scorers: [...BENCH_SCORERS],
        classes: [...BENCH_CLASSES],
        lossCurve: [],
        snapshot: { images: scored, decisions: 0 },
        modelPath: null,
      });
      setCurrentRun(db, run.id);

      // About 1,000 images decided (every `step`-th scored one, actions in turn), one bulk batch per action.
      const step = Math.max(1, Math.floor(rows.length / 1000));
      const actions = ['keep', 'reject', 'relabel', 'unsure'] as const;
      actions.forEach((action, b) => {
        const imageIds: number[] = [];
        for (let k = b * step; k < rows.length; k += 4 * step) imageIds.push(rows[k]!.imageId);
        if (!imageIds.length) return;
        appendDecisions(db, {
          imageIds,
          action,
          newClass: action === 'relabel' ? BENCH_CLASSES[1] : null,
          reviewer: 'bench',
          runId: run.id,
        });
        decisions += imageIds.length;
      });
      optimize(db);
    } finally {
      db.close();
    }

    await services.api.projects.open(projectDir);
    await services.api.settings.set({ reviewer: 'bench', theme: 'light' });
    // The provider makes the shared thumbnail from the first row's real file; every other row hits the cache.
    if (!(await services.images('thumb', firstId))) {
      throw new Error('the bench project has no thumbnail for its first image');
    }
    const generateMs = performance.now() - t0;
    return {
      services,
      projectDir,
      images: count,
      scorers: BENCH_SCORERS,
      scored,
      decisions,
      generateMs,
      async dispose() {
        await services.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await services.close();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
