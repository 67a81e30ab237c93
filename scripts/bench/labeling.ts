// `npm run bench:labeling`: labeling the inbox on real data, through the services as the app and the CLI run it.
// Fashion-MNIST (Debian's dataset-fashion-mnist): 500 labelled images per class in train, 5,000 in the inbox whose
// labels the benchmark knows but the project does not (file names hide them). It reports
//   1. the accuracy of the current run's suggestions at each confidence cut, on the inbox (true labels), beside the
//      held-out figures the calibration itself reports (training images scored out of fold);
//   2. the expected calibration error before and after temperature scaling, held out and on the inbox;
//   3. bulk accept at c = 0.95: the preview (how many, expected wrong) against the real number of wrong labels;
//   4. active labeling: label k inbox images in informative order (re-read from each retrained run) or in random
//      order, retrain heads, and measure the suggestions' accuracy on a fixed evaluation part of the inbox that
//      neither order ever labels; how many labels each order needs to reach a given accuracy.
// Options: --train-per-class N (500), --inbox-per-class N (500), --eval N (2000 of the inbox), --budgets
// 100,200,400,800 (cumulative labels), --seed S (1), --keep (leave the temp folder). Run it under `nice -n 5`.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_CLASSES, loadFashion, pickPerClass, writeGreyPng } from '../data/fashion-mnist.js';
import {
  accuracyAtCuts,
  CONFIDENCE_CUTS,
  expectedCalibrationError,
  reliabilityBins,
  type Judged,
} from '../../src/engine/labeling/calibration.js';
import type { Api } from '../../src/shared/api.js';
import type { JobRef } from '../../src/shared/dto.js';
import type { SuggestionRow } from '../../src/shared/labeling-dto.js';
import { createRng } from '../../src/shared/random.js';
import { createServices } from '../../src/services/index.js';
import { commandLine, machineLine } from './machine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const TRAIN_PER_CLASS = Number(arg('train-per-class', '500'));
const INBOX_PER_CLASS = Number(arg('inbox-per-class', '500'));
const EVAL = Number(arg('eval', '2000'));
const BUDGETS = arg('budgets', '100,200,400,800').split(',').map(Number);
const SEED = Number(arg('seed', '1'));
const KEEP = process.argv.includes('--keep');
const REVIEWER = 'benchmark';

const lines: string[] = [];
const report = (line = ''): void => {
  lines.push(line);
  console.log(line);
};
const pct = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
const clock = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

/** Writes the train folders and the inbox; returns each inbox file's true class by its path below the inbox. */
async function writeData(root: string): Promise<Map<string, string>> {
  const all = [...FASHION_CLASSES.keys()];
  const { images, labels } = loadFashion('train');
  for (const i of pickPerClass(labels, all, TRAIN_PER_CLASS)) {
    const dir = join(root, 'train', FASHION_CLASSES[labels[i]!]!);
    mkdirSync(dir, { recursive: true });
    await writeGreyPng(images, i, join(dir, `train-${i}.png`));
  }
  const truth = new Map<string, string>();
  mkdirSync(join(root, 'inbox'), { recursive: true });
  for (const i of pickPerClass(labels, all, INBOX_PER_CLASS, TRAIN_PER_CLASS)) {
    await writeGreyPng(images, i, join(root, 'inbox', `img-${i}.png`));
    truth.set(`img-${i}.png`, FASHION_CLASSES[labels[i]!]!);
  }
  return truth;
}

async function job(api: Api, start: Promise<JobRef>): Promise<void> {
  const result = await api.jobs.wait((await start).id);
  if (result.outcome !== 'done') throw new Error(`${result.kind} ${result.outcome}: ${result.error ?? ''}`);
}

async function train(api: Api): Promise<number> {
  await job(api, api.jobs.train({ mode: 'heads', seed: SEED }));
  const status = await api.projects.status();
  return status.currentRun!.id;
}

/** Every unlabelled inbox image with its suggestion, in the order asked (flagged ones included: all are ID). */
async function suggestions(api: Api, order: 'informative' | 'path'): Promise<SuggestionRow[]> {
  return (await api.labeling.suggestions({ order, includeFlagged: true, limit: 100_000 })).rows;
}

function judged(rows: readonly SuggestionRow[], truth: Map<string, string>, raw = false): Judged[] {
  return rows.map((r) => ({
    confidence: raw ? r.suggestion.rawProb : r.suggestion.confidence,
    right: r.suggestion.class === truth.get(r.relPath),
  }));
}

async function calibrationSection(api: Api, truth: Map<string, string>): Promise<void> {
  const cal = await api.labeling.calibration();
  const rows = await suggestions(api, 'path');
  const onInbox = accuracyAtCuts(judged(rows, truth));
  report(`### Suggestions at each confidence cut (run #${cal.runId}, ${rows.length} inbox images)`);
  report();
  report('| confidence ≥ | inbox images | accuracy on the inbox (true labels) | held-out images | held-out accuracy |');
  report('|---|---|---|---|---|');
  for (const [i, c] of CONFIDENCE_CUTS.entries()) {
    const held = cal.cuts.find((h) => h.minConfidence === c);
    report(
      `| ${c} | ${onInbox[i]!.count} | ${pct(onInbox[i]!.accuracy)} | ${held?.count ?? '–'} | ${pct(held?.accuracy ?? null)} |`,
    );
  }
  const all = judged(rows, truth);
  const eceInbox = expectedCalibrationError(reliabilityBins(all));
  const eceInboxRaw = expectedCalibrationError(reliabilityBins(judged(rows, truth, true)));
  report();
  report(
    `Top-1 accuracy: inbox ${pct(all.filter((j) => j.right).length / all.length)}, held out ${pct(cal.accuracy)} ` +
      `(${cal.heldOut} training images scored out of fold). Temperature ${cal.temperature.toFixed(3)} (${cal.method}).`,
  );
  report(
    `ECE before → after calibration: held out ${pct(cal.eceRaw)} → ${pct(cal.ece)} (cross-validated); ` +
      `inbox ${pct(eceInboxRaw)} → ${pct(eceInbox)}.`,
  );
  report();
}

async function bulkSection(api: Api, truth: Map<string, string>, ids: Map<number, string>): Promise<void> {
  const preview = await api.labeling.previewBulk({ minConfidence: 0.95 });
  if (preview.count === 0) {
    report(
      `### Bulk accept at c = 0.95\n\nNo suggestion reaches 0.95 (${preview.belowCut} below the cut): nothing to accept.\n`,
    );
    return;
  }
  const done = await api.labeling.bulkAccept({ minConfidence: 0.95, reviewer: REVIEWER });
  const wrong = done.labels.filter((l) => l.class !== truth.get(ids.get(l.imageId)!)).length;
  await api.labeling.undoBatch(done.batchId, REVIEWER);
  report('### Bulk accept at c = 0.95');
  report();
  report(
    `The preview: ${preview.count} images (${pct(preview.count / truth.size)} of the inbox), ` +
      `${preview.expectedWrong.toFixed(1)} expected wrong; ${preview.skippedFlagged} left out as flagged OOD, ` +
      `${preview.belowCut} below the cut. Accepted: ${done.labels.length} labels, **${wrong} wrong** ` +
      `(${pct(wrong / Math.max(1, done.labels.length))}; the calibration promised ≤ 5%). Undone as one batch.`,
  );
  report();
  report('| class | accepted | expected wrong | wrong |');
  report('|---|---|---|---|');
  for (const c of preview.perClass) {
    const mine = done.labels.filter((l) => l.class === c.class);
    const bad = mine.filter((l) => l.class !== truth.get(ids.get(l.imageId)!)).length;
    report(`| ${c.class} | ${c.count} | ${c.expectedWrong.toFixed(1)} | ${bad} |`);
  }
  report();
}

interface Curve {
  order: string;
  points: { labels: number; accuracy: number; seconds: number }[];
}

function evalAccuracy(rows: readonly SuggestionRow[], evalSet: Set<string>, truth: Map<string, string>): number {
  const mine = rows.filter((r) => evalSet.has(r.relPath));
  return mine.filter((r) => r.suggestion.class === truth.get(r.relPath)).length / Math.max(1, mine.length);
}

/** Labels the images with their true classes, one batch per class (as a person labelling a page would). */
async function labelTruly(api: Api, rows: readonly SuggestionRow[], truth: Map<string, string>): Promise<number[]> {
  const byClass = new Map<string, number[]>();
  for (const r of rows) {
    const c = truth.get(r.relPath)!;
    byClass.set(c, [...(byClass.get(c) ?? []), r.imageId]);
  }
  const batches: number[] = [];
  for (const [cls, imageIds] of byClass) {
    batches.push((await api.labeling.label({ imageIds, class: cls, reviewer: REVIEWER })).batchId);
  }
  return batches;
}

/** One order: label up to each budget, retrain, measure on the evaluation set; then undo every label. */
async function runCurve(
  api: Api,
  order: 'informative' | 'random',
  ctx: { baseRun: number; baseAccuracy: number; evalSet: Set<string>; truth: Map<string, string> },
): Promise<Curve> {
  const curve: Curve = { order, points: [{ labels: 0, accuracy: ctx.baseAccuracy, seconds: 0 }] };
  const shuffled = shuffle(
    (await suggestions(api, 'path')).filter((r) => !ctx.evalSet.has(r.relPath)),
    createRng(SEED + 17),
  );
  const batches: number[] = [];
  let given = 0;
  for (const budget of BUDGETS) {
    const t0 = performance.now();
    const pool = order === 'random' ? shuffled.slice(given) : await suggestions(api, 'informative');
    const next = pool.filter((r) => !ctx.evalSet.has(r.relPath) && r.class === null).slice(0, budget - given);
    batches.push(...(await labelTruly(api, next, ctx.truth)));
    given += next.length;
    await train(api);
    const accuracy = evalAccuracy(await suggestions(api, 'path'), ctx.evalSet, ctx.truth);
    curve.points.push({ labels: given, accuracy, seconds: (performance.now() - t0) / 1000 });
    console.error(`${order}: ${given} labels → ${pct(accuracy)} (${clock(t0)})`);
  }
  for (const b of batches) await api.labeling.undoBatch(b, REVIEWER);
  await api.runs.setCurrent(ctx.baseRun);
  return curve;
}

function shuffle<T>(items: T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The fewest labels in the schedule with which a curve reaches `target` (null: not within the budgets). */
function labelsToReach(curve: Curve, target: number): number | null {
  return curve.points.find((p) => p.accuracy >= target - 1e-9)?.labels ?? null;
}

function curveSection(curves: Curve[], evalSize: number): void {
  report(`### Labels needed: informative-first against random order (accuracy on ${evalSize} held-back inbox images)`);
  report();
  report(`| labels given | ${curves.map((c) => c.order).join(' | ')} |`);
  report(`|---|${curves.map(() => '---').join('|')}|`);
  for (const [i, p] of curves[0]!.points.entries()) {
    report(`| ${p.labels} | ${curves.map((c) => pct(c.points[i]?.accuracy ?? null)).join(' | ')} |`);
  }
  const best = Math.max(...curves.flatMap((c) => c.points.map((p) => p.accuracy)));
  const base = curves[0]!.points[0]!.accuracy;
  report();
  for (const target of [base + (best - base) / 2, best]) {
    const needs = curves.map((c) => `${c.order} ${labelsToReach(c, target) ?? `> ${BUDGETS.at(-1)}`}`);
    report(`To reach ${pct(target)}: ${needs.join(', ')} labels.`);
  }
  report();
  noiseNote(curves, evalSize);
}

/** How far apart two accuracies on the evaluation set must be before they differ by more than sampling noise. */
function noiseNote(curves: Curve[], evalSize: number): void {
  const p = curves[0]!.points[0]!.accuracy;
  // Two accuracies measured on the same n images: 2 standard errors of their difference (binomial, approximate).
  const margin = 2 * Math.sqrt((2 * p * (1 - p)) / Math.max(1, evalSize));
  const [a, b] = curves;
  if (!a || !b) return;
  const gaps = a.points
    .slice(1)
    .map((pa, i) => ({ labels: pa.labels, gap: pa.accuracy - (b.points[i + 1]?.accuracy ?? NaN) }));
  const clear = gaps.filter((g) => Math.abs(g.gap) > margin);
  report(
    `Sampling noise: on ${evalSize} images two accuracies near ${pct(p)} differ by more than noise only beyond ` +
      `±${(100 * margin).toFixed(1)} points (2 standard errors). ${a.order} − ${b.order}: ` +
      gaps.map((g) => `${g.labels} labels ${g.gap >= 0 ? '+' : ''}${(100 * g.gap).toFixed(1)}`).join(', ') +
      ` points; ${clear.length === 0 ? 'none is beyond the noise' : `beyond the noise at ${clear.map((g) => g.labels).join(', ')} labels`}.`,
  );
  report();
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'ssod-bench-labeling-'));
  const services = createServices({ dataDir: join(base, 'home') });
  const { api } = services;
  const t0 = performance.now();
  try {
    report(
      `## Labeling the inbox (Fashion-MNIST, ${TRAIN_PER_CLASS} labelled per class, ${10 * INBOX_PER_CLASS} in the inbox)`,
    );
    report();
    report(machineLine());
    report(commandLine('bench:labeling'));
    report();
    const truth = await writeData(join(base, 'data'));
    await api.projects.create(join(base, 'project'));
    await api.settings.set({ reviewer: REVIEWER });
    for (const role of ['train', 'inbox'] as const) {
      const source = await api.sources.add(join(base, 'data', role), role);
      await job(api, api.jobs.scan(source.id));
    }
    const baseRun = await train(api);
    console.error(`data, scan, first train: ${clock(t0)}`);
    const rows = await suggestions(api, 'path');
    const ids = new Map(rows.map((r) => [r.imageId, r.relPath]));
    await calibrationSection(api, truth);
    await bulkSection(api, truth, ids);
    const evalSet = new Set(
      shuffle(rows, createRng(SEED))
        .slice(0, EVAL)
        .map((r) => r.relPath),
    );
    const ctx = { baseRun, baseAccuracy: evalAccuracy(rows, evalSet, truth), evalSet, truth };
    const curves = [await runCurve(api, 'informative', ctx), await runCurve(api, 'random', ctx)];
    curveSection(curves, evalSet.size);
    report(`Whole run ${clock(t0)}; ${machineLine().replace(/^machine: .*load average/, 'load average at the end')}`);
  } finally {
    await services.close();
    if (!KEEP) await rm(base, { recursive: true, force: true });
    else console.error(`kept ${base}`);
  }
}

await main();
