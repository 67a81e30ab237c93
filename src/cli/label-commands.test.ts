// `ssod label`, `ssod classes` and `ssod list --unlabelled --order informative` in-process through main(argv, io),
// on the real engine process with the pixel-statistics backbone: labels by name (an unknown class refused with the
// way to create it, a file deleted since the scan refused), new classes, bulk accept with a dry run that writes
// nothing, undo of a batch by id and of the latest one, and the informative order the labeling service computes.
import { copyFile, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, ReviewEvent } from '../shared/dto.js';
import type { BulkPreview, ClassLegend, LabelBatch, LabelResult, UndoBatchResult } from '../shared/labeling-dto.js';
import { createServices } from '../services/create-services.js';
import { BLUE, GREEN, RED, colourSet, pixelEngineFactory, type Rgb } from '../services/testing/curate-fixture.js';
import { ssodRunner, type Ran } from './testing/run-ssod.js';

let dir: string;
let project: string;
let data: string;

const services = () => ({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
const { run: ssod, ok, json, jsonLines } = ssodRunner(services);
const ANA = ['--reviewer', 'ana'];

function expectError(r: Ran, code: number, message: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.out).toBe('');
  expect(r.err.split('\n')[0]).toMatch(/^ssod (label|classes|list): /);
  expect(r.err.split('\n')[0]).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
}

const historyCount = async (): Promise<number> => (await jsonLines<ReviewEvent>('history', project)).length;
const unlabelled = (...more: string[]) => jsonLines<ImageRow>('list', project, '--unlabelled', ...more);

/** Folder, file prefix, colour, count: two trained colours, an inbox of both plus two green strangers. */
const FILES: [string, string, Rgb, number][] = [
  ['train/red', 'r', RED, 10],
  ['train/blue', 'b', BLUE, 10],
  ['inbox', 'red', RED, 5],
  ['inbox', 'blue', BLUE, 5],
  ['inbox', 'green', GREEN, 2],
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-label-cli-'));
  project = join(dir, 'project');
  data = join(dir, 'data');
  for (const [i, [folder, prefix, rgb, count]] of FILES.entries())
    await colourSet(join(data, folder), prefix, rgb, count, 1 + 100 * i);
  await copyFile(join(data, 'inbox', 'red0.png'), join(data, 'inbox', 'gone.png'));
  await ok('init', project);
  await ok('add', project, join(data, 'train'), '--role', 'train');
  await ok('add', project, join(data, 'inbox'), '--role', 'inbox');
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ssod label and classes before a run', () => {
  const red0 = () => join(data, 'inbox', 'red0.png');

  it('labels one image by class name and undoes the latest batch with --undo alone', async () => {
    expectError(await ssod('label', project, red0(), '--class', 'red'), 2, /reviewer/);
    const done = await json<LabelResult>('label', project, red0(), '--class', 'red', ...ANA, '--note', 'clear');
    expect(done.labels).toEqual([expect.objectContaining({ class: 'red', method: 'manual', suggested: null })]);
    expect((await unlabelled()).some((r) => r.path === red0())).toBe(false);
    const undone = await json<UndoBatchResult>('label', project, '--undo', ...ANA);
    expect(undone).toMatchObject({ batchId: done.batchId, skipped: 0 });
    expect(undone.events).toHaveLength(1);
    expect((await unlabelled()).some((r) => r.path === red0())).toBe(true);
    expectError(await ssod('label', project, '--undo', ...ANA), 1, /nothing to undo/);
  });

  it('refuses an unknown class with the way to create it, and a case clash, writing nothing', async () => {
    const before = await historyCount();
    expectError(await ssod('label', project, red0(), '--class', 'cat', ...ANA), 1, /--create-class/);
    expectError(await ssod('label', project, red0(), '--class', 'Red', ...ANA), 1, /did you mean 'red'/);
    expectError(await ssod('label', project, red0(), '--class', 'a/b', '--create-class', ...ANA), 2, /'\/'/);
    expect(await historyCount()).toBe(before);
  });

  it('creates a class with --create-class and says how many examples training needs', async () => {
    const r = await ssod(
      'label',
      project,
      join(data, 'inbox', 'green0.png'),
      '--class',
      'cat',
      '--create-class',
      ...ANA,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/created the class 'cat'/);
    expect(r.out).toMatch(/'cat' needs 4 more example\(s\) before training uses it \(at least 5\)/);
    const legend = await json<ClassLegend>('classes', project);
    expect(legend.classes.map((c) => [c.name, c.key, c.examples, c.trainable])).toEqual([
      ['blue', 1, 10, true],
      ['red', 2, 10, true],
      ['cat', 3, 1, false],
    ]);
  });

  it('classes --create adds an empty class and refuses a case clash', async () => {
    const legend = await json<ClassLegend>('classes', project, '--create', 'dog');
    expect(legend.classes.find((c) => c.name === 'dog')).toMatchObject({ examples: 0, needed: 5 });
    expectError(await ssod('classes', project, '--create', 'Dog'), 1, /only in case/);
    expect((await ok('classes', project)).split('\n')[0]).toMatch(/^1 {2}blue +10 \(folder 10, label 0, relabel 0\)/);
  });

  it('refuses a label on an image deleted from disk since the scan, writing nothing', async () => {
    await unlink(join(data, 'inbox', 'gone.png'));
    const before = await historyCount();
    const r = await ssod('label', project, join(data, 'inbox', 'gone.png'), '--class', 'red', ...ANA);
    expectError(r, 1, /deleted from disk since the scan: nothing labelled/);
    expect(await historyCount()).toBe(before);
    await ok('scan', project);
    expect((await unlabelled()).some((r) => r.path.endsWith('gone.png'))).toBe(false);
  });

  it('refuses mixed or incomplete modes as usage mistakes', async () => {
    expectError(await ssod('label', project, red0(), '--class', 'red', '--accept'), 2, /exactly one of/);
    expectError(await ssod('label', project, '--class', 'red'), 2, /--class needs an IMAGE/);
    expectError(await ssod('label', project, red0(), '--accept-suggestions'), 2, /takes no IMAGE/);
    expectError(await ssod('label', project, '--accept-suggestions'), 2, /needs --min-confidence/);
    expectError(await ssod('label', project, 'x', '--undo'), 2, /--undo takes a batch id/);
    expectError(
      await ssod('label', project, '--accept-suggestions', '--min-confidence', '0.9', '--dry-run'),
      1,
      /train first/,
    );
    expectError(await ssod('list', project, '--order', 'ssod'), 2, /--order must be informative or path/);
  });
});

describe('ssod label after a run', () => {
  beforeAll(async () => {
    await ok('train', project, '--epochs', '8', '--folds', '2', '--seed', '3', '--backbone', 'pixel');
  }, 180_000);

  it('lists unlabelled inbox images in the informative order the labeling service computed', async () => {
    const rows = await unlabelled('--order', 'informative');
    expect(rows.every((r) => r.role === 'inbox' && r.class === null && r.suggestion)).toBe(true);
    const inService = createServices(services());
    try {
      await inService.api.projects.open(project);
      const page = await inService.api.labeling.suggestions({ order: 'informative', includeFlagged: true });
      expect(rows.map((r) => r.id)).toEqual(page.rows.map((r) => r.imageId));
    } finally {
      await inService.close();
    }
    const text = await ok('list', project, '--unlabelled', '--order', 'informative', '--limit', '1');
    expect(text).toMatch(/^ +\d+ (FLAG| {4}) (red|blue|cat) \d+\.\d% \(margin \d\.\d\d\)/);
  });

  it('accepts one suggestion, previews bulk accept without writing, then bulk-accepts and undoes the batch', async () => {
    const one = await json<LabelResult>('label', project, join(data, 'inbox', 'blue0.png'), '--accept', ...ANA);
    expect(one.labels[0]!.suggested).not.toBeNull();
    expect(one.labels[0]).toMatchObject({ method: 'accept', class: one.labels[0]!.suggested });
    const before = await historyCount();
    const preview = await json<BulkPreview>(
      'label',
      project,
      '--accept-suggestions',
      '--min-confidence',
      '0.5',
      '--dry-run',
    );
    expect(await historyCount()).toBe(before);
    const open = (await unlabelled()).filter((r) => !r.flagged);
    expect(preview.count).toBe(open.filter((r) => r.suggestion!.confidence >= 0.5).length);
    expect(preview.perClass.reduce((s, c) => s + c.count, 0)).toBe(preview.count);
    const text = await ok('label', project, '--accept-suggestions', '--min-confidence', '0.5', '--dry-run');
    expect(text).toMatch(new RegExp(`: ${preview.count} images, about \\d+\\.\\d expected wrong`));
    expect(text).toMatch(/dry run: nothing labelled/);

    const bulk = await json<LabelResult & { preview: BulkPreview }>(
      'label',
      project,
      '--accept-suggestions',
      '--min-confidence',
      '0.5',
      ...ANA,
    );
    expect(bulk.labels).toHaveLength(preview.count);
    expect(bulk.labels.every((l) => l.method === 'bulk' && l.class === l.suggested)).toBe(true);
    const batches = await jsonLines<LabelBatch>('label', project, '--batches');
    expect(batches[0]).toMatchObject({ id: bulk.batchId, method: 'bulk', minConfidence: 0.5, standing: preview.count });
    const undone = await json<UndoBatchResult>('label', project, '--undo', String(bulk.batchId), ...ANA);
    expect(undone.events).toHaveLength(preview.count);
    // --undo alone now finds the single accept, the newest batch still standing.
    expect((await json<UndoBatchResult>('label', project, '--undo', ...ANA)).batchId).toBe(one.batchId);
  });

  it('lists a labelled inbox image with its class, where it came from, and the model prediction unchanged', async () => {
    const [row] = await unlabelled('--order', 'path', '--limit', '1');
    const other = row!.predicted === 'red' ? 'blue' : 'red';
    const done = await json<LabelResult>('label', project, row!.path, '--class', other, ...ANA);
    const listed = (await jsonLines<ImageRow>('list', project, '--role', 'inbox')).find((r) => r.id === row!.id)!;
    expect(listed).toMatchObject({ class: other, classSource: 'label', predicted: row!.predicted });
    expect(listed.suggestion).toMatchObject({ class: row!.suggestion!.class });
    const [event] = await jsonLines<ReviewEvent>('history', project, row!.path, '--limit', '1');
    expect(event!.label).toMatchObject({ batchId: done.batchId, method: 'manual', suggested: row!.suggestion!.class });
    const line = await ok('history', project, row!.path, '--limit', '1');
    expect(line).toMatch(
      new RegExp(`label → ${other} .*\\[manual, batch ${done.batchId}; run #\\d+ suggested \\w+ at \\d+\\.\\d%\\]`),
    );
    await ok('label', project, '--undo', String(done.batchId), ...ANA);
    const after = (await jsonLines<ImageRow>('list', project, '--role', 'inbox')).find((r) => r.id === row!.id)!;
    expect(after).toMatchObject({ class: null, classSource: null, predicted: row!.predicted });
  });

  it('refuses a cut outside [0, 1] by its option name, and a cut nothing reaches', async () => {
    expectError(await ssod('label', project, '--accept-suggestions', '--min-confidence', '1.5'), 2, /--min-confidence/);
    const r = await ssod('label', project, '--accept-suggestions', '--min-confidence', '1', ...ANA);
    expectError(r, 1, /no unlabelled suggestion at or above 1 .*nothing labelled/);
  });
});
