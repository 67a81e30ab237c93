// The curate loop end to end through the services, on the real engine process and SSOD trainer (only the
// backbone is a pixel-statistics double, see testing/pixel-backbone.ts): review decisions feed a retrain,
// the OOD head learns from rejections, relabels move classes, runs reproduce, "what moved" and review-based
// metrics report it, and any run can be made current again.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import type { ImageRow, RunSummary } from '../shared/dto.js';
import type { Services } from './create-services.js';
import { BLUE, GREEN, RED, colourPng, colourSet, listTree } from './testing/curate-fixture.js';
import { openScannedProject, trainRun } from './testing/scanned-project.js';

let dir: string;
let services: Services;

const train = (): Promise<RunSummary> => trainRun(services);

async function rows(): Promise<ImageRow[]> {
  return (await services.api.images.list({ limit: 10_000, sortBy: 'path' })).rows;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// Layout: train/red and train/blue; 6 green images hidden in train/red (the cluster reviewers reject) and one
// red-looking image in train/blue (relabelled to red). The inbox holds red, blue and unreviewed green images.
const isGreenInbox = (r: ImageRow): boolean => r.role === 'inbox' && r.relPath.startsWith('green');
const isIdInbox = (r: ImageRow): boolean => r.role === 'inbox' && !r.relPath.startsWith('green');
const isGreenTrain = (r: ImageRow): boolean => r.role === 'train' && r.relPath.startsWith('red/green');

interface Snapshot {
  images: number;
  decisions: number;
  labels?: Record<string, number>;
}

let run1: RunSummary;
let run2: RunSummary;
let rows1: ImageRow[];
let rows2: ImageRow[];
let id: (relPath: string) => number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-curate-'));
  const data = join(dir, 'data');
  await colourSet(join(data, 'train', 'red'), 'r', RED, 16, 1);
  await colourSet(join(data, 'train', 'red'), 'green', GREEN, 6, 100);
  await colourSet(join(data, 'train', 'blue'), 'b', BLUE, 16, 200);
  await colourPng(join(data, 'train', 'blue', 'odd-red.png'), RED, 300);
  await colourSet(join(data, 'inbox'), 'red', RED, 5, 400);
  await colourSet(join(data, 'inbox'), 'blue', BLUE, 5, 500);
  await colourSet(join(data, 'inbox'), 'green', GREEN, 5, 600);
  services = await openScannedProject(dir, data);
  const { api } = services;
  run1 = await train();
  rows1 = await rows();
  const byPath = new Map(rows1.map((r) => [`${r.role}/${r.relPath}`, r.id]));
  id = (p) => byPath.get(p) ?? Number.NaN;

  // Reviewers reject the green cluster inside "red", relabel the odd red image and one inbox image, keep a few.
  await api.review.decide({ imageIds: rows1.filter(isGreenTrain).map((r) => r.id), action: 'reject' });
  await api.review.decide({ imageIds: [id('train/blue/odd-red.png')], action: 'relabel', newClass: 'red' });
  await api.review.decide({ imageIds: [id('inbox/blue0.png')], action: 'relabel', newClass: 'blue' });
  await api.review.decide({
    imageIds: rows1.filter((r) => /^(red\/r[0-3]|blue\/b[0-3])\.png$/.test(r.relPath)).map((r) => r.id),
    action: 'keep',
    note: 'looks fine',
  });
  run2 = await train();
  rows2 = await rows();
}, 180_000);

afterAll(async () => {
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('curate loop', () => {
  it('records each run with config, seed, backend, backbone and the decisions it used', async () => {
    expect(run1.status).toBe('done');
    expect(run2.id).toBeGreaterThan(run1.id);
    const detail = await services.api.runs.get(run2.id);
    expect(detail).toMatchObject({ seed: 7, backbone: 'pixel', isCurrent: true, classes: ['blue', 'red'] });
    expect(detail.backend).toMatch(/\w/);
    expect(detail.config).toMatchObject({ folds: 2, epochs: 12, mode: 'heads' });
    expect(detail.snapshot.decisions).toBe(6 + 1 + 1 + 8);
    expect((await services.api.runs.get(run1.id)).snapshot.decisions).toBe(0);
    expect((await services.api.runs.list()).map((r) => [r.id, r.isCurrent])).toEqual(
      expect.arrayContaining([
        [run1.id, false],
        [run2.id, true],
      ]),
    );
  });

  it('flags the rejected look more strongly after retraining on the rejections', () => {
    const scorer = run2.defaultScorer;
    // Scores relative to each run's own threshold (score scales differ between runs).
    const margin = (rs: ImageRow[], run: RunSummary, pick: (r: ImageRow) => boolean): number =>
      mean(rs.filter(pick).map((r) => r.scores[scorer]! / run.thresholds[scorer]!));
    const before = margin(rows1, run1, isGreenInbox) - margin(rows1, run1, isIdInbox);
    const after = margin(rows2, run2, isGreenInbox) - margin(rows2, run2, isIdInbox);
    expect(after).toBeGreaterThan(before + 1);
    // The green inbox images were never reviewed: the retrained model generalises from the rejected ones.
    const flaggedShare = (rs: ImageRow[], pick: (r: ImageRow) => boolean): number =>
      rs.filter(pick).filter((r) => r.flagged === true).length / rs.filter(pick).length;
    expect(flaggedShare(rows2, isGreenInbox)).toBe(1);
    expect(flaggedShare(rows2, isIdInbox)).toBeLessThanOrEqual(0.2);
    // The rejected images themselves (explicit OOD in training, scored out of fold) rise the same way.
    const rejected = (rs: ImageRow[], run: RunSummary): number =>
      margin(rs, run, isGreenTrain) - margin(rs, run, isIdInbox);
    expect(rejected(rows2, run2)).toBeGreaterThan(rejected(rows1, run1) + 1);
  });

  it('trains relabelled images under their new class and rejected ones as explicit OOD', async () => {
    const classes1 = (await services.api.runs.get(run1.id)).classes;
    const classes2 = (await services.api.runs.get(run2.id)).classes;
    const labels1 = ((await services.api.runs.get(run1.id)).snapshot as Snapshot).labels!;
    const labels2 = ((await services.api.runs.get(run2.id)).snapshot as Snapshot).labels!;
    const odd = String(id('train/blue/odd-red.png'));
    expect(classes1[labels1[odd]!]).toBe('blue');
    expect(classes2[labels2[odd]!]).toBe('red');
    // An inbox image relabelled joins the training set under its class.
    expect(labels1[String(id('inbox/blue0.png'))]).toBeUndefined();
    expect(classes2[labels2[String(id('inbox/blue0.png'))]!]).toBe('blue');
    for (const r of rows1.filter(isGreenTrain)) {
      expect(classes1[labels1[String(r.id)]!]).toBe('red');
      expect(labels2[String(r.id)]).toBe(-1);
    }
    const oddRow = rows2.find((r) => r.id === Number(odd))!;
    expect(oddRow.decision).toMatchObject({ action: 'relabel', newClass: 'red', reviewer: 'tester' });
    expect(oddRow.predicted).toBe('red');
  });

  it('exports relabelled images under their new class and leaves rejected ones out', async () => {
    const out = join(dir, 'export-curated');
    const ref = await services.api.jobs.export({ out });
    const result = await services.api.jobs.wait(ref.id);
    expect(result.outcome).toBe('done');
    const files = await listTree(join(out, 'images'));
    expect(files).toContain('red/odd-red.png');
    expect(files.some((f) => f.includes('green'))).toBe(false);
    expect(files.filter((f) => f.startsWith('red/'))).toHaveLength(16 + 1);
    // 16 train images and the inbox image labelled blue (a label puts an inbox image under its class).
    expect(files.filter((f) => f.startsWith('blue/'))).toHaveLength(16 + 1);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      run: number;
      images: { path: string; class: string; original_class: string; decision: string; run_id: number }[];
    };
    expect(manifest.images.find((m) => m.path === 'images/red/odd-red.png')).toMatchObject({
      class: 'red',
      original_class: 'blue',
      decision: 'relabel',
      run_id: run2.id,
    });
    expect((await services.api.exports.verify(out)).ok).toBe(true);
  });

  it('gives the same scores twice for the same seed, backend and decisions', async () => {
    const run3 = await train();
    expect(run3.id).toBeGreaterThan(run2.id);
    expect(run3.backend).toBe(run2.backend);
    const rows3 = await rows();
    expect(rows3.map((r) => [r.id, r.scores, r.flagged, r.predicted])).toEqual(
      rows2.map((r) => [r.id, r.scores, r.flagged, r.predicted]),
    );
    expect(run3.thresholds).toEqual(run2.thresholds);
    // Nothing moved between two identical runs.
    const same = await services.api.runs.diff();
    expect(same).toMatchObject({ runA: run2.id, runB: run3.id, newlyFlagged: [], newlyCleared: [] });
    expect(same.largestChanges.every((c) => c.scoreA === c.scoreB)).toBe(true);
  }, 90_000);

  it('lists what moved between two runs: newly flagged, newly cleared, largest changes, per class', async () => {
    const diff = await services.api.runs.diff(run1.id, run2.id, 1000);
    expect(diff).toMatchObject({ runA: run1.id, runB: run2.id, scorer: run2.defaultScorer });
    const flagged1 = new Map(rows1.map((r) => [r.id, r.flagged]));
    const flagged2 = new Map(rows2.map((r) => [r.id, r.flagged]));
    const expectFlagged = rows2.filter((r) => r.flagged === true && flagged1.get(r.id) !== true).map((r) => r.id);
    const expectCleared = rows2.filter((r) => r.flagged === false && flagged1.get(r.id) === true).map((r) => r.id);
    expect(diff.newlyFlagged.map((d) => d.imageId).sort()).toEqual(expectFlagged.sort());
    expect(diff.newlyCleared.map((d) => d.imageId).sort()).toEqual(expectCleared.sort());
    // The unreviewed green inbox images are among the newly flagged ones.
    for (const r of rows2.filter(isGreenInbox)) {
      if (flagged1.get(r.id) !== true) expect(expectFlagged).toContain(r.id);
    }
    for (const d of diff.newlyFlagged) {
      expect(d.flaggedB).toBe(true);
      expect(d.path).toMatch(/^\/.*\.png$/);
    }
    const changes = diff.largestChanges.map((d) => Math.abs(d.scoreB! - d.scoreA!));
    expect(changes).toEqual([...changes].sort((a, b) => b - a));
    const perClass = new Map(diff.perClass.map((c) => [c.class, c]));
    const count = (rs: Map<number, boolean | null>, cls: string | null): number =>
      rows2.filter((r) => (r.class ?? '(inbox)') === (cls ?? '(inbox)') && rs.get(r.id) === true).length;
    expect(perClass.get('(inbox)')).toEqual({
      class: '(inbox)',
      flaggedA: count(flagged1, null),
      flaggedB: count(flagged2, null),
    });
    expect(perClass.get('red')).toEqual({
      class: 'red',
      flaggedA: count(flagged1, 'red'),
      flaggedB: count(flagged2, 'red'),
    });
  });

  it("measures every scorer on the reviewers' decisions, with the counts they rest on", async () => {
    const report = await services.api.runs.evalFromReviews(0.9);
    expect(report.idCount).toBe(8);
    expect(report.oodCount).toBe(6);
    for (const scorer of run2.scorers) {
      const m = report.perScorer[scorer]!;
      for (const v of [m.auroc, m.fpr95, m.auprIn, m.auprOut]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    // Rejected images are explicit OOD in training and scored out of fold: the default scorer separates them.
    expect(report.perScorer[run2.defaultScorer]!.auroc).toBeGreaterThan(0.9);
    expect(report.suggestedThreshold).toMatchObject({ scorer: run2.defaultScorer, idPassRate: 0.9 });
    expect(report.roc.map((r) => r.scorer).sort()).toEqual([...run2.scorers].sort());
  });

  it('makes any earlier run current again, with its scores', async () => {
    await services.api.runs.setCurrent(run1.id);
    expect((await services.api.projects.status()).currentRun?.id).toBe(run1.id);
    expect((await rows()).map((r) => [r.id, r.scores, r.flagged])).toEqual(
      rows1.map((r) => [r.id, r.scores, r.flagged]),
    );
    // run1 is the oldest: there is nothing before it to compare with.
    await expect(services.api.runs.diff()).rejects.toSatisfy((e) => isAppError(e) && e.code === 'no-run');
    await expect(services.api.runs.setCurrent(9999)).rejects.toSatisfy(isAppError);
    await services.api.runs.setCurrent(run2.id);
    expect((await rows()).map((r) => r.scores)).toEqual(rows2.map((r) => r.scores));
  });
});
