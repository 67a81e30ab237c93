// The review session through the fake services: filters, threshold, selection, decisions, undo, the reviewer's
// name asked at the first decision, and decisions made elsewhere arriving in the grid.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { settings } from './settings.svelte.js';
import { ui } from './ui.svelte.js';

let fake: TestBackend;

async function ready(): Promise<void> {
  await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
}

/** Answers the reviewer dialog as a person would: it must be open, then the name is saved. */
async function answerReviewer(name: string): Promise<void> {
  await vi.waitFor(() => expect(ui.dialog).toBe('reviewer'));
  await settings.saveOrThrow({ reviewer: name });
  ui.close();
}

beforeAll(async () => {
  fake = installFakeBackend({ images: 400 });
  await project.load();
  await ready();
});

describe('filters and sort', () => {
  it('loads the first page sorted by the default scorer, most unusual first', async () => {
    expect(review.total).toBe(400);
    const scores = [0, 1, 2, 3].map((i) => review.rowAt(i)?.scores.ssod ?? Number.NaN);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    await vi.waitFor(() => expect(review.scorers).toContain('ssod'));
  });

  it('narrows to a role and a class, and clears back to everything', async () => {
    review.setFilter('role', 'inbox');
    await ready();
    const inbox = review.total;
    expect(inbox).toBeGreaterThan(0);
    expect(inbox).toBeLessThan(400);
    expect(review.rowAt(0)?.role).toBe('inbox');
    review.setFilter('flagged', 'yes');
    await ready();
    expect(review.total).toBeLessThan(inbox);
    review.clearFilters();
    await ready();
    expect(review.total).toBe(400);
  });

  it('reverses the order', async () => {
    review.setFilter('status', 'ok');
    review.setSort('ssod', 'asc');
    await ready();
    const scores = [0, 1, 2, 3].map((i) => review.rowAt(i)?.scores.ssod ?? Number.NaN);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    review.setSort('ssod', 'desc');
    review.clearFilters();
    await ready();
  });
});

describe('threshold', () => {
  it('moves the flagged count live while dragging and exactly once committed, as a share of training images', async () => {
    await vi.waitFor(() => expect(review.histogram).not.toBeNull());
    const h = review.histogram!;
    review.dragThreshold(h.min);
    expect(review.flaggedCount).toBeGreaterThan(390); // every scored image is at or above the minimum
    review.dragThreshold(h.max + 1);
    expect(review.flaggedCount).toBe(0);
    const mid = (h.min + h.max) / 2;
    review.commitThreshold(mid);
    expect(review.draftThreshold).toBeNull();
    await vi.waitFor(() => expect(review.flaggedExact).not.toBeNull());
    const rows = (await fake.api.images.list({ limit: 1000 })).rows;
    expect(review.flaggedExact).toBe(rows.filter((r) => (r.scores.ssod ?? -Infinity) >= mid).length);
    const train = rows.filter((r) => r.role === 'train' && r.status === 'ok');
    const below = train.filter((r) => (r.scores.ssod ?? 0) < mid).length / train.length;
    await vi.waitFor(() => expect(review.thresholdPercentile).toBeCloseTo(below, 10));
    review.commitThreshold(null);
    expect(review.threshold).toBeNull();
  });
});

describe('selection', () => {
  it('selects one, a range with Shift and toggles with Ctrl', () => {
    review.click(2, { shift: false, toggle: false });
    review.click(5, { shift: true, toggle: false });
    expect(review.selectedCount).toBe(4);
    review.click(3, { shift: false, toggle: true });
    expect(review.selectedCount).toBe(3);
    expect(review.isSelected(3)).toBe(false);
    expect(review.cursor).toBe(3);
    review.moveTo(0);
    expect(review.selectedCount).toBeLessThanOrEqual(1);
  });

  it('keeps the cursor inside the list', () => {
    review.moveTo(-5);
    expect(review.cursor).toBe(0);
    review.moveTo(10_000);
    expect(review.cursor).toBe(399);
    review.moveTo(0);
  });
});

describe('decisions', () => {
  it('asks for the reviewer at the first decision, then records it with that name and moves on', async () => {
    expect(settings.reviewer).toBeNull();
    const id = review.rowAt(0)!.id;
    const decided = review.decide('keep');
    await answerReviewer('Ana');
    expect(await decided).toBe(true);
    expect(review.rowAt(0)?.decision).toMatchObject({ action: 'keep', reviewer: 'Ana' });
    expect(review.cursor).toBe(1);
    const history = await fake.api.review.history(id);
    expect(history[0]).toMatchObject({ action: 'keep', reviewer: 'Ana' });
  });

  it('drops the decision when the reviewer dialog is closed without a name', async () => {
    await settings.saveOrThrow({ reviewer: null });
    expect(settings.reviewer).toBeNull();
    const decided = review.decide('reject');
    await vi.waitFor(() => expect(ui.dialog).toBe('reviewer'));
    ui.close();
    settings.declineReviewer();
    expect(await decided).toBe(false);
    expect(review.rowAt(1)?.decision).toBeNull();
    await settings.saveOrThrow({ reviewer: 'Ana' });
  });

  it('undoes this session’s latest batch and goes back to it', async () => {
    review.moveTo(1);
    await review.decide('reject');
    expect(review.rowAt(1)?.decision?.action).toBe('reject');
    await review.undo();
    await vi.waitFor(() => expect(review.rowAt(1)?.decision).toBeNull());
    expect(review.cursor).toBe(1);
    expect(review.rowAt(0)?.decision?.action).toBe('keep'); // the earlier decision stands
  });

  it('applies a decision on a selection to every selected row', async () => {
    review.click(4, { shift: false, toggle: false });
    review.click(6, { shift: true, toggle: false });
    await review.decide('reject');
    for (const i of [4, 5, 6]) expect(review.rowAt(i)?.decision?.action).toBe('reject');
    expect(review.selectedCount).toBe(0);
  });

  it('shows decisions made elsewhere (another window, the command line) without a reload', async () => {
    const row = review.rowAt(10)!;
    await fake.api.review.decide({ imageIds: [row.id], action: 'relabel', newClass: 'Bag', reviewer: 'cli' });
    await vi.waitFor(() => expect(review.rowAt(10)?.decision).toMatchObject({ action: 'relabel', reviewer: 'cli' }));
    await fake.api.review.undo([row.id], 'cli');
    await vi.waitFor(() => expect(review.rowAt(10)?.decision).toBeNull());
  });
});
