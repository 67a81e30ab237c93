// Every shortcut the help screen (`?`) lists, pressed once, with what it must do. A shortcut added to the
// help screen without a case here fails the first test.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { SHORTCUTS, type KeyLike } from '../lib/keymap.js';
import { detail } from './detail.svelte.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { labeling } from './labeling.svelte.js';
import { handleReviewKey, type KeyPress } from './review-keys.js';
import { settings } from './settings.svelte.js';
import { ui } from './ui.svelte.js';

const DISPLAYED: Record<string, KeyLike> = {
  '←': { key: 'ArrowLeft' },
  '→': { key: 'ArrowRight' },
  '↑': { key: 'ArrowUp' },
  '↓': { key: 'ArrowDown' },
  Esc: { key: 'Escape' },
  'Ctrl+A': { key: 'a', ctrlKey: true },
  Space: { key: ' ' },
};
const toKey = (shown: string): KeyLike => DISPLAYED[shown] ?? { key: shown };

let fake: TestBackend;

async function press(shown: string, extra: Partial<KeyPress> = {}): Promise<void> {
  const result = handleReviewKey({ ...toKey(shown), ...extra });
  expect(result, `${shown} is handled`).not.toBeNull();
  await result;
}

const at = (i: number) => review.rowAt(i);

function firstIndex(match: (row: NonNullable<ReturnType<typeof at>>) => boolean): number {
  for (let i = 0; i < review.total; i++) {
    const row = at(i);
    if (row && match(row)) return i;
  }
  throw new Error('no such row in the fake project');
}

beforeAll(async () => {
  fake = installFakeBackend({ images: 300 });
  await project.load();
  await settings.saveOrThrow({ reviewer: 'keys' });
  ui.go('review');
  await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
  await labeling.load();
  review.layout = { columns: 5, rowsPerPage: 3 };
});

beforeEach(() => {
  ui.close();
  detail.close();
  review.moveTo(12);
});

const CASES: Record<string, () => Promise<void>> = {
  '←': async () => {
    await press('←');
    expect(review.cursor).toBe(11);
    await press('←', { shiftKey: true });
    expect(review.selectedCount).toBe(2);
  },
  '→': async () => {
    await press('→');
    expect(review.cursor).toBe(13);
  },
  '↑': async () => {
    await press('↑');
    expect(review.cursor).toBe(7);
  },
  '↓': async () => {
    await press('↓');
    expect(review.cursor).toBe(17);
  },
  j: async () => {
    await press('j');
    expect(review.cursor).toBe(13);
  },
  p: async () => {
    await press('p');
    expect(review.cursor).toBe(11);
  },
  PageUp: async () => {
    await press('PageUp');
    expect(review.cursor).toBe(0); // three rows of five up from 12, clamped
  },
  PageDown: async () => {
    await press('PageDown');
    expect(review.cursor).toBe(27);
  },
  Home: async () => {
    await press('Home');
    expect(review.cursor).toBe(0);
  },
  End: async () => {
    await press('End');
    expect(review.cursor).toBe(299);
  },
  o: async () => {
    await press('o');
    expect(detail.open).toBe(true);
    await vi.waitFor(() => expect(detail.image?.id).toBe(at(12)?.id));
  },
  Space: async () => {
    await press('Space');
    expect(detail.open).toBe(true);
  },
  Enter: async () => {
    // An unlabelled inbox image takes its own suggestion; a labelled one is left alone.
    const inbox = firstIndex((r) => r.class === null && !!r.suggestion && !r.decision);
    review.moveTo(inbox);
    const suggested = at(inbox)!.suggestion!.class;
    await press('Enter');
    expect(at(inbox)).toMatchObject({ class: suggested, classSource: 'label' });
    expect(review.cursor).toBe(inbox + 1);
    const train = firstIndex((r) => r.role === 'train' && !r.decision);
    review.moveTo(train);
    const before = at(train)!.class;
    await press('Enter');
    expect(at(train)?.class).toBe(before);
    expect(at(train)?.decision).toBeNull();
  },
  '1': async () => {
    const i = firstIndex((r) => r.class === null && !r.decision);
    review.moveTo(i);
    await press('1');
    expect(at(i)).toMatchObject({ class: 'T-shirt_top', classSource: 'label' });
    expect(at(i)?.decision).toMatchObject({ action: 'relabel', newClass: 'T-shirt_top', reviewer: 'keys' });
    // One undo puts the image back to unlabelled.
    review.moveTo(i + 1);
    await press('u');
    await vi.waitFor(() => expect(at(i)?.class).toBeNull());
  },
  '9': async () => {
    review.moveTo(20);
    review.moveTo(22, true);
    await press('9');
    for (const i of [20, 21, 22]) expect(at(i)?.class).toBe('Bag');
    expect(review.selectedCount).toBe(0);
  },
  Esc: async () => {
    detail.show(at(12)!.id);
    await press('Esc');
    expect(detail.open).toBe(false);
  },
  k: async () => {
    const id = at(12)!.id;
    await press('k');
    expect(at(12)?.decision).toMatchObject({ action: 'keep', reviewer: 'keys' });
    expect(review.cursor).toBe(13);
    expect((await fake.api.review.history(id))[0]?.action).toBe('keep');
  },
  x: async () => {
    await press('x');
    expect(at(12)?.decision?.action).toBe('reject');
    expect(review.cursor).toBe(13);
  },
  r: async () => {
    await press('r');
    expect(ui.dialog).toBe('relabel');
  },
  b: async () => {
    await press('b');
    expect(labeling.bulkOpen).toBe(true);
    // While the dialog is open the grid's keys wait.
    expect(handleReviewKey({ key: 'k' })).toBeNull();
    labeling.closeBulk();
  },
  i: async () => {
    await press('i');
    await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
    expect(review.query).toMatchObject({ role: 'inbox', labelled: false, sortBy: 'informative' });
    const first = at(0)!;
    expect(first).toMatchObject({ role: 'inbox', class: null });
    // Lowest margin first: the model hesitates most on the first image.
    expect(first.suggestion!.margin).toBeLessThanOrEqual(at(1)!.suggestion!.margin);
    review.clearFilters();
    review.setSort('ssod', 'desc');
    await vi.waitFor(() => expect(review.readyKey).toBe(review.key));
  },
  '?': async () => {
    await press('?');
    expect(ui.dialog).toBe('shortcuts');
  },
  s: async () => {
    await press('s');
    expect(at(12)?.decision?.action).toBe('unsure');
  },
  u: async () => {
    await press('x');
    review.moveTo(12);
    await press('u');
    await vi.waitFor(() => expect(at(12)?.decision?.action).not.toBe('reject'));
    expect(review.cursor).toBe(12);
  },
  n: async () => {
    await press('n');
    expect(ui.dialog).toBe('note');
  },
  h: async () => {
    const before = detail.heatmap;
    await press('h');
    expect(detail.heatmap).toBe(!before);
    await press('h');
    expect(detail.heatmap).toBe(before);
  },
  '+': async () => {
    detail.resetView();
    await press('+');
    expect(detail.zoom).toBeCloseTo(1.25);
  },
  '-': async () => {
    detail.resetView();
    await press('-');
    expect(detail.zoom).toBeCloseTo(0.8);
  },
  '0': async () => {
    detail.zoomBy(3);
    detail.panX = 40;
    await press('0');
    expect(detail.zoom).toBe(1);
    expect(detail.panX).toBe(0);
  },
  'Ctrl+A': async () => {
    await press('Ctrl+A');
    expect(review.selectedCount).toBe(review.total); // every image the filters show, loaded or not
  },
};

describe('review shortcuts', () => {
  it('has a test for every key the help screen lists', () => {
    const listed = SHORTCUTS.flatMap((s) => s.keys);
    expect(listed.filter((k) => !(k in CASES))).toEqual([]);
  });

  for (const shown of SHORTCUTS.flatMap((s) => s.keys)) {
    it(`${shown} does what the help screen says`, async () => {
      const run = CASES[shown];
      if (!run) throw new Error(`no case for ${shown}`);
      await run();
    });
  }

  it('ignores keys while typing in a field, while a dialog is open, and on other views', async () => {
    expect(handleReviewKey({ key: 'k', target: { tagName: 'INPUT' } })).toBeNull();
    ui.open('note');
    expect(handleReviewKey({ key: 'k' })).toBeNull();
    ui.close();
    ui.go('train');
    expect(handleReviewKey({ key: 'k' })).toBeNull();
    ui.go('review');
    expect(handleReviewKey({ key: 'q' })).toBeNull();
  });
});
