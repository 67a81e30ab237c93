// Labeling through the fake services: number keys, Enter, the class picker (new classes included), label these,
// bulk accept with one undo, and the one undo stack shared with review decisions.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageRow } from '../../../src/shared/dto.js';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { showInGrid } from './grid-selection.js';
import { canAccept, chunks, labeling, labelsRatherThanRelabels } from './labeling.svelte.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { settings } from './settings.svelte.js';
import { toasts } from './toasts.svelte.js';
import { ui } from './ui.svelte.js';

let fake: TestBackend;

async function ready(): Promise<void> {
  await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
}

const at = (i: number) => review.rowAt(i);

function firstIndex(match: (row: ImageRow) => boolean, from = 0): number {
  for (let i = from; i < review.total; i++) {
    const row = at(i);
    if (row && match(row)) return i;
  }
  throw new Error('no such row in the fake project');
}

const waiting = (r: ImageRow) => r.role === 'inbox' && r.status === 'ok' && r.class === null && !r.decision;

beforeAll(async () => {
  fake = installFakeBackend({ images: 400 });
  await project.load();
  await settings.saveOrThrow({ reviewer: 'labeller' });
  ui.go('review');
  await ready();
  await labeling.load();
});

beforeEach(async () => {
  ui.close();
  labeling.closeBulk();
  review.clearFilters();
  await ready();
});

describe('pure helpers', () => {
  it('cuts a large selection into calls the services accept', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });

  it('accepts only unlabelled, readable, not rejected images with a suggestion', () => {
    const base = { status: 'ok', class: null, decision: null, role: 'inbox' } as unknown as ImageRow;
    const suggestion = { runId: 1, class: 'Bag', confidence: 0.9, rawProb: 0.9, margin: 0.5 };
    expect(canAccept({ ...base, suggestion })).toBe(true);
    expect(canAccept({ ...base, suggestion: null })).toBe(false);
    expect(canAccept({ ...base, suggestion, class: 'Bag' })).toBe(false);
    expect(canAccept({ ...base, suggestion, status: 'missing' })).toBe(false);
    const rejected = { eventId: 1, action: 'reject', newClass: null, note: null, reviewer: 'a', at: '' } as const;
    expect(canAccept({ ...base, suggestion, decision: rejected })).toBe(false);
    expect(labelsRatherThanRelabels([base])).toBe(true);
    expect(labelsRatherThanRelabels([base, { ...base, role: 'train' }])).toBe(false);
    expect(labelsRatherThanRelabels([])).toBe(false);
  });
});

describe('labels by key, Enter and the picker', () => {
  it('a number key gives the legend class to every selected image, in one batch', async () => {
    review.setLabelled('no');
    await ready();
    review.moveTo(0);
    review.moveTo(3, true);
    const ids = [0, 1, 2, 3].map((i) => at(i)!.id);
    await labeling.assignKey(2);
    const name = labeling.classForKey(2)!.name;
    const [batch] = await fake.api.labeling.batches(1);
    expect(batch).toMatchObject({ method: 'manual', count: 4, standing: 4, reviewer: 'labeller' });
    for (const id of ids) expect((await fake.api.images.get(id)).class).toBe(name);
    expect(review.selectedCount).toBe(0);
  });

  it('a key past the legend says so and writes nothing', async () => {
    const before = (await fake.api.labeling.batches(100)).length;
    const shown = toasts.items.length;
    expect(await labeling.assignKey(9)).toBe(true); // the fake has ten classes: 9 exists
    expect(labeling.classForKey(10)).toBeUndefined();
    expect(await labeling.assignKey(10)).toBe(false);
    expect(toasts.items.at(-1)?.text).toMatch(/No class 10: the legend has classes 1–9/);
    expect(toasts.items.length).toBeGreaterThan(shown);
    expect((await fake.api.labeling.batches(100)).length).toBe(before + 1);
  });

  it('Enter takes each image its own suggestion and leaves train images alone', async () => {
    const i = firstIndex((r) => waiting(r) && !!r.suggestion);
    review.moveTo(i);
    const suggested = at(i)!.suggestion!.class;
    expect(await labeling.acceptTargets()).toBe(true);
    expect(at(i)).toMatchObject({ class: suggested, classSource: 'label' });
    const t = firstIndex((r) => r.role === 'train' && !r.decision);
    review.moveTo(t);
    expect(await labeling.acceptTargets()).toBe(false);
    expect(at(t)?.decision).toBeNull();
  });

  it('Enter on a selection accepts each selected image its own suggestion, in one batch', async () => {
    review.setLabelled('no');
    await ready();
    let start = 0;
    while (start < review.total && ![0, 1, 2].every((k) => at(start + k) && canAccept(at(start + k)!))) start++;
    expect(start).toBeLessThan(review.total);
    const rows = [start, start + 1, start + 2].map((i) => at(i)!);
    review.moveTo(start);
    review.moveTo(start + 2, true);
    expect(await labeling.acceptTargets()).toBe(true);
    expect((await fake.api.labeling.batches(1))[0]).toMatchObject({ method: 'accept', count: 3 });
    for (const r of rows) expect((await fake.api.images.get(r.id)).class).toBe(r.suggestion!.class);
  });

  it('the picker labels inbox images and relabels train images', async () => {
    const inbox = firstIndex(waiting);
    review.moveTo(inbox);
    await labeling.pick('Sandal', false);
    expect((await fake.api.labeling.batches(1))[0]?.count).toBe(1);
    expect(at(inbox)).toMatchObject({ class: 'Sandal', classSource: 'label' });
    const train = firstIndex((r) => r.role === 'train' && !r.decision);
    const batches = (await fake.api.labeling.batches(100)).length;
    review.moveTo(train);
    await labeling.pick('Sandal', false);
    expect(at(train)?.decision).toMatchObject({ action: 'relabel', newClass: 'Sandal' });
    expect((await fake.api.labeling.batches(100)).length).toBe(batches);
  });

  it('creates a class from a typed name and says how many examples training needs', async () => {
    const i = firstIndex(waiting);
    review.moveTo(i);
    await labeling.pick('Scarf', true);
    await vi.waitFor(() => expect(labeling.legend?.classes.some((c) => c.name === 'Scarf')).toBe(true));
    const scarf = labeling.legend!.classes.find((c) => c.name === 'Scarf')!;
    expect(scarf).toMatchObject({ examples: 1, trainable: false, needed: 4 });
    expect(toasts.items.some((t) => /training uses it once it has 5 examples/.test(t.text))).toBe(true);
    expect(review.classes).toContain('Scarf');
  });

  it('refuses a new class that clashes by case, and keeps the image as it was', async () => {
    const i = firstIndex(waiting);
    review.moveTo(i);
    expect(await labeling.pick('bag', true)).toBe(false);
    expect(toasts.items.at(-1)?.text).toMatch(/only in case/);
    expect(at(i)?.class).toBeNull();
  });

  it("a key on the lasso's images in the grid labels the selected ones as one cluster batch", async () => {
    review.setLabelled('no');
    await ready();
    const ids = [0, 1, 2].map((i) => at(i)!.id);
    expect(await showInGrid({ imageIds: ids }, 'map lasso')).toBe(true);
    await ready();
    expect(review.query.selection).toBeDefined();
    review.moveTo(0);
    review.moveTo(2, true);
    await labeling.assignKey(4);
    const name = labeling.classForKey(4)!.name;
    expect((await fake.api.labeling.batches(1))[0]).toMatchObject({ method: 'cluster', count: 3 });
    for (const id of ids) expect((await fake.api.images.get(id)).class).toBe(name);
    // One image under the cursor is a plain label, not a cluster, even while the lasso filter is on.
    review.moveTo(5);
    await labeling.assignKey(4);
    expect((await fake.api.labeling.batches(1))[0]).toMatchObject({ method: 'manual', count: 1 });
  });

  it('label these: exactly the images given, in one cluster batch', async () => {
    const ids = [firstIndex(waiting), firstIndex(waiting, 40), firstIndex(waiting, 80)].map((i) => at(i)!.id);
    labeling.targets = { ids, method: 'cluster', description: 'this image and 2 like it' };
    await labeling.pick('Bag', false);
    expect(labeling.targets).toBeNull();
    expect((await fake.api.labeling.batches(1))[0]).toMatchObject({ method: 'cluster', count: 3 });
    for (const id of ids) expect((await fake.api.images.get(id)).class).toBe('Bag');
  });
});

describe('bulk accept and the one undo stack', () => {
  it('previews, accepts as one batch, and one u takes the whole batch back', async () => {
    const preview = await labeling.preview({ minConfidence: 0.95 });
    expect(preview.count).toBeGreaterThan(1);
    expect(preview.expectedWrong).toBeGreaterThan(0);
    expect(preview.perClass.reduce((s, c) => s + c.count, 0)).toBe(preview.count);
    const result = await labeling.bulkAccept({ minConfidence: 0.95 });
    expect(result?.labels).toHaveLength(preview.count);
    expect((await labeling.preview({ minConfidence: 0.95 })).count).toBe(0);
    await review.undo();
    expect((await labeling.preview({ minConfidence: 0.95 })).count).toBe(preview.count);
    expect((await fake.api.labeling.batches(1))[0]?.standing).toBe(0);
  });

  it('u undoes the latest action of either kind, newest first (relabel, label, keep)', async () => {
    const train = firstIndex((r) => r.role === 'train' && !r.decision);
    review.moveTo(train);
    await review.decide('relabel', { newClass: 'Coat' });
    const inbox = firstIndex(waiting);
    review.moveTo(inbox);
    await labeling.assignKey(1);
    const kept = firstIndex((r) => !r.decision && r.status === 'ok');
    review.moveTo(kept);
    await review.decide('keep');

    await review.undo();
    await vi.waitFor(() => expect(at(kept)?.decision).toBeNull());
    expect(at(inbox)?.class).not.toBeNull();
    expect(at(train)?.decision?.action).toBe('relabel');
    await review.undo();
    await vi.waitFor(() => expect(at(inbox)?.class).toBeNull());
    expect(at(train)?.decision?.action).toBe('relabel');
    await review.undo();
    await vi.waitFor(() => expect(at(train)?.decision).toBeNull());
  });

  it('a u pressed while a label is on its way undoes that label', async () => {
    const i = firstIndex(waiting);
    review.moveTo(i);
    const labelling = labeling.assignKey(3);
    const undoing = review.undo();
    await Promise.all([labelling, undoing]);
    await vi.waitFor(() => expect(at(i)?.class).toBeNull());
    const [batch] = await fake.api.labeling.batches(1);
    expect(batch?.standing).toBe(0);
  });
});
