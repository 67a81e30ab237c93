// The `labeling` namespace end to end through the services, on the real engine process (the backbone is the
// pixel-statistics double): the legend and new classes, labels by key and by name, accept, bulk accept with its
// preview and one undo, the calibration, a label on a file deleted since the scan, retrain and export.
import { readFile, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from './create-services.js';
import { BLUE, GREEN, RED, colourSet, pixelEngineFactory } from './testing/curate-fixture.js';

let dir: string;
let data: string;
let services: Services;

async function inboxIds(): Promise<Map<string, number>> {
  const page = await services.api.images.list({ role: 'inbox', sortBy: 'path', limit: 1000 });
  return new Map(page.rows.map((r) => [r.relPath, r.id]));
}

async function decisionCount(): Promise<number> {
  return (await services.api.images.list({ decision: 'any', limit: 1000 })).total;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-labeling-svc-'));
  data = join(dir, 'data');
  await colourSet(join(data, 'train', 'red'), 'r', RED, 14, 1);
  await colourSet(join(data, 'train', 'blue'), 'b', BLUE, 14, 200);
  await colourSet(join(data, 'inbox'), 'red', RED, 6, 500);
  await colourSet(join(data, 'inbox'), 'blue', BLUE, 6, 600);
  await colourSet(join(data, 'inbox'), 'green', GREEN, 3, 700);
  services = createServices({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
  const { api } = services;
  await api.projects.create(join(dir, 'project'));
  await api.settings.set({ reviewer: 'tester' });
  for (const role of ['train', 'inbox'] as const) {
    const source = await api.sources.add(join(data, role), role);
    expect((await api.jobs.wait((await api.jobs.scan(source.id)).id)).outcome).toBe('done');
  }
}, 120_000);

afterAll(async () => {
  await services?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('labeling before a run', () => {
  it('shows the legend, refuses suggestions and bulk accept, and still labels by hand', async () => {
    const { labeling } = services.api;
    const legend = await labeling.classes();
    expect(legend.minExamples).toBe(5);
    expect(legend.classes.map((c) => [c.name, c.key, c.examples, c.trainable, c.inRun])).toEqual([
      ['blue', 1, 14, true, false],
      ['red', 2, 14, true, false],
    ]);
    await expect(labeling.suggestions()).rejects.toMatchObject({ code: 'no-run' });
    await expect(labeling.previewBulk({ minConfidence: 0.9 })).rejects.toThrow(/train first/);
    await expect(labeling.bulkAccept({ minConfidence: 0.9 })).rejects.toMatchObject({ code: 'no-run' });
    expect(await decisionCount()).toBe(0);
    const ids = await inboxIds();
    const done = await labeling.label({ imageIds: [ids.get('red0.png')!], key: 2 });
    expect(done.labels[0]).toMatchObject({ class: 'red', suggested: null, runId: null, method: 'manual' });
    expect((await labeling.undoBatch(done.batchId)).events).toHaveLength(1);
  });
});

describe('labeling after a run', () => {
  beforeAll(async () => {
    const ref = await services.api.jobs.train({ epochs: 12, folds: 2, seed: 7, backbone: 'pixel' });
    expect((await services.api.jobs.wait(ref.id)).outcome).toBe('done');
  }, 180_000);

  it('calibrates on the out-of-fold training images and reports the reliability diagram', async () => {
    const report = await services.api.labeling.calibration();
    expect(report.heldOut).toBe(28);
    expect(report.method).toBe('temperature');
    expect(report.temperature).toBeGreaterThan(0);
    expect(report.bins).toHaveLength(10);
    expect(report.bins.reduce((s, b) => s + b.count, 0)).toBe(28);
    expect(report.cuts.map((c) => c.minConfidence)).toContain(0.95);
  });

  it('lists unlabelled inbox suggestions in informative order, each with its calibrated top classes', async () => {
    const page = await services.api.labeling.suggestions({ order: 'informative', limit: 100 });
    const flagged = (await services.api.images.list({ role: 'inbox', flagged: true, limit: 100 })).total;
    expect(page.total).toBe(15 - flagged);
    expect(page.rows.map((r) => r.rank)).toEqual([...page.rows.map((r) => r.rank)].sort((a, b) => a! - b!));
    for (const r of page.rows) {
      expect(['red', 'blue']).toContain(r.suggestion.class);
      expect(r.top[0]!.confidence).toBeCloseTo(r.suggestion.confidence);
      expect(r.informativeness).toBeGreaterThanOrEqual(0);
    }
    const listed = await services.api.images.list({ role: 'inbox', labelled: false, sortBy: 'informative' });
    expect(listed.rows[0]!.id).toBe(
      (await services.api.labeling.suggestions({ includeFlagged: true, limit: 1 })).rows[0]!.imageId,
    );
  });

  it('labels by number key; the image carries the class with its source, and the batch undoes', async () => {
    const { labeling, images } = services.api;
    const ids = await inboxIds();
    const target = [ids.get('blue0.png')!, ids.get('blue1.png')!];
    const done = await labeling.label({ imageIds: target, key: 1 });
    expect(done.labels.map((l) => l.class)).toEqual(['blue', 'blue']);
    expect(done.labels[0]!.runId).not.toBeNull();
    expect(done.labels[0]!.confidence).not.toBeNull();
    // The audit trail: who, when, how, and what the run suggested with which confidence.
    const [event] = await services.api.review.history(target[0], 1);
    expect(event).toMatchObject({ action: 'relabel', newClass: 'blue', reviewer: 'tester' });
    expect(Date.parse(event!.at)).not.toBeNaN();
    expect(event!.label).toEqual({
      batchId: done.batchId,
      method: 'manual',
      suggested: done.labels[0]!.suggested,
      confidence: done.labels[0]!.confidence,
      runId: done.labels[0]!.runId,
    });
    const row = (await images.get(target[0]!)) as { class: string | null; classSource?: string | null };
    expect(row).toMatchObject({ class: 'blue', classSource: 'label' });
    const legend = await labeling.classes();
    expect(legend.classes[0]!.bySource).toEqual({ folder: 14, label: 2, relabel: 0 });
    expect((await labeling.batches(1))[0]).toMatchObject({ id: done.batchId, count: 2, standing: 2 });
    const undone = await labeling.undoBatch(done.batchId);
    expect(undone).toMatchObject({ batchId: done.batchId, skipped: 0 });
    expect(await images.get(target[0]!)).toMatchObject({ class: null, classSource: null });
  });

  it('refuses bad input with a message and writes nothing', async () => {
    const { labeling } = services.api;
    const ids = await inboxIds();
    const before = await decisionCount();
    const one = [ids.get('red1.png')!];
    await expect(labeling.label({ imageIds: one, key: 7 })).rejects.toThrow(/no class 7: the legend's keys are 1–2/);
    await expect(labeling.label({ imageIds: one, class: 'Red', create: true })).rejects.toMatchObject({
      code: 'already-exists',
    });
    await expect(labeling.label({ imageIds: one, class: 'a/b', create: true })).rejects.toThrow(/cannot hold '\/'/);
    await expect(labeling.label({ imageIds: one, class: 'purple' })).rejects.toThrow(/create it first/);
    await expect(labeling.label({ imageIds: [...one, 999_999], key: 1 })).rejects.toMatchObject({ code: 'not-found' });
    await expect(labeling.bulkAccept({ minConfidence: 1 })).rejects.toThrow(/no unlabelled suggestion at or above 1/);
    await expect(labeling.undoBatch(9999)).rejects.toMatchObject({ code: 'not-found' });
    await unlink(join(data, 'inbox', 'red5.png'));
    await expect(labeling.label({ imageIds: [ids.get('red5.png')!, ...one], key: 2 })).rejects.toThrow(
      /red5\.png was deleted from disk since the scan: nothing labelled/,
    );
    expect(await decisionCount()).toBe(before);
    expect((await labeling.classes()).classes.map((c) => c.name)).toEqual(['blue', 'red']);
  });

  it('creates a class that says how many examples it still needs', async () => {
    const { labeling } = services.api;
    const created = await labeling.createClass('violet');
    expect(created).toMatchObject({ name: 'violet', key: 3, examples: 0, trainable: false, needed: 5, inRun: false });
    await expect(labeling.createClass('Violet')).rejects.toThrow(/only in case/);
    const ids = await inboxIds();
    const done = await labeling.label({ imageIds: [ids.get('green0.png')!], class: 'teal', create: true });
    expect(done.created).toEqual(['teal']);
    expect((await labeling.classes()).classes.map((c) => c.name)).toEqual(['blue', 'red', 'violet', 'teal']);
    await labeling.undoBatch(done.batchId);
  });

  it('previews bulk accept with the expected wrong labels, accepts as one batch and undoes it', async () => {
    const { labeling } = services.api;
    const preview = await labeling.previewBulk({ minConfidence: 0 });
    const suggestions = await labeling.suggestions({ limit: 1000 });
    // red5.png is gone from disk but not yet rescanned: the preview counts it, the accept refuses it.
    expect(preview.count).toBe(suggestions.total);
    expect(preview.perClass.reduce((s, c) => s + c.count, 0)).toBe(preview.count);
    const expected = suggestions.rows.reduce((s, r) => s + 1 - r.suggestion.confidence, 0);
    expect(preview.expectedWrong).toBeCloseTo(expected, 9);
    await expect(labeling.bulkAccept({ minConfidence: 0 })).rejects.toThrow(/red5\.png was deleted/);
    const ids = await inboxIds();
    const scope = suggestions.rows.map((r) => r.imageId).filter((id) => id !== ids.get('red5.png'));
    const done = await labeling.bulkAccept({ minConfidence: 0, imageIds: scope });
    expect(done.preview.count).toBe(scope.length);
    expect(done.labels.every((l) => l.method === 'bulk' && l.class === l.suggested)).toBe(true);
    expect((await labeling.batches(1))[0]).toMatchObject({ method: 'bulk', minConfidence: 0, standing: scope.length });
    expect((await labeling.previewBulk({ minConfidence: 0 })).count).toBe(1);
    await labeling.undoBatch(done.batchId);
    expect((await labeling.previewBulk({ minConfidence: 0 })).count).toBe(preview.count);
  });

  it('accepts a suggestion with Enter and checks hand labels against the run', async () => {
    const { labeling } = services.api;
    const rows = (await labeling.suggestions({ order: 'path', limit: 100 })).rows;
    const [first, second] = rows.filter((r) => !r.path.endsWith('red5.png'));
    const accepted = await labeling.accept({ imageIds: [first!.imageId] });
    expect(accepted.labels[0]).toMatchObject({ class: first!.suggestion.class, method: 'accept' });
    // A hand label against the suggestion: the counter checks the run on it (the accept agrees by construction).
    const against = second!.suggestion.class === 'red' ? 'blue' : 'red';
    await labeling.label({ imageIds: [second!.imageId], class: against });
    const trend = await labeling.accuracy();
    expect(trend.points).toHaveLength(1);
    expect(trend.points[0]).toMatchObject({ checked: 1, correct: 0, accuracy: 0, labelsTrained: 0 });
  });
});

describe('labels in retraining and export', () => {
  it('trains on labelled inbox images, leaves a class with too few out and says so', async () => {
    const { labeling, jobs, runs } = services.api;
    const ids = await inboxIds();
    await labeling.label({ imageIds: ['red2.png', 'red3.png', 'red4.png'].map((p) => ids.get(p)!), key: 2 });
    await labeling.label({ imageIds: [ids.get('green1.png')!, ids.get('green2.png')!], class: 'violet' });
    const ref = await jobs.train({ epochs: 12, folds: 2, seed: 7, backbone: 'pixel' });
    expect((await jobs.wait(ref.id)).outcome).toBe('done');
    const run = await runs.get((await runs.list())[0]!.id);
    expect(run.classes).toEqual(['blue', 'red']);
    expect(run.metrics.classesLeftOut).toEqual([{ class: 'violet', examples: 2 }]);
    expect(run.metrics.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/'violet' \(2\)/)]));
    const trend = await labeling.accuracy();
    expect(trend.points.at(-1)!.labelsTrained).toBeGreaterThanOrEqual(4);
    // Labelled inbox images are scored out of fold like the train folders: they join the held-out calibration rows.
    expect((await labeling.calibration()).heldOut).toBe(28 + trend.points.at(-1)!.labelsTrained);
  }, 180_000);

  it('exports labelled inbox images under their class with their origin', async () => {
    const out = join(dir, 'export');
    const ref = await services.api.jobs.export({ out });
    expect((await services.api.jobs.wait(ref.id)).outcome).toBe('done');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      images: { path: string; class: string; class_source: string; role: string; original_class: string | null }[];
    };
    const red2 = manifest.images.find((r) => r.path.endsWith('red2.png'))!;
    expect(red2).toMatchObject({
      path: 'images/red/red2.png',
      class_source: 'label',
      role: 'inbox',
      original_class: null,
    });
    expect(manifest.images.find((r) => r.path.endsWith('green1.png'))!.path).toBe('images/violet/green1.png');
    expect(manifest.images.find((r) => r.path === 'images/blue/b0.png')!.class_source).toBe('folder');
    const log = (await readFile(join(out, 'decisions.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path?: string; action: string; label?: { method: string; batchId: number } });
    const red2Label = log.filter((e) => e.path?.endsWith('red2.png') && e.action === 'relabel').at(-1);
    expect(red2Label?.label?.method).toBe('manual');
    expect(red2Label?.label?.batchId).toBeGreaterThan(0);
  }, 60_000);
});
