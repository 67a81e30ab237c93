// The review keyboard: one key event in, one state change out. Kept out of the component so every shortcut
// the help screen lists is tested by pressing it (review-keys.test.ts).
import { commandFor, isTypingTarget, type Command, type KeyCommand, type KeyLike } from '../lib/keymap.js';
import { moveIndex } from '../lib/virtual-grid.js';
import { detail } from './detail.svelte.js';
import { labeling } from './labeling.svelte.js';
import { review } from './review.svelte.js';
import { ui } from './ui.svelte.js';

export interface KeyPress extends KeyLike {
  target?: { tagName?: string; isContentEditable?: boolean } | null;
  preventDefault?: () => void;
}

function moveTarget(command: Command): number | undefined {
  const { columns, rowsPerPage } = review.layout;
  const c = review.cursor;
  const n = review.total;
  switch (command) {
    case 'move-left':
    case 'previous':
      return moveIndex(c, 'left', columns, n);
    case 'move-right':
    case 'next':
      return moveIndex(c, 'right', columns, n);
    // Inside the detail view there is one image per "row": up and down step through images.
    case 'move-up':
      return moveIndex(c, detail.open ? 'left' : 'up', columns, n);
    case 'move-down':
      return moveIndex(c, detail.open ? 'right' : 'down', columns, n);
    case 'page-up':
      return moveIndex(c, 'page-up', columns, n, rowsPerPage);
    case 'page-down':
      return moveIndex(c, 'page-down', columns, n, rowsPerPage);
    case 'home':
      return 0;
    case 'end':
      return Math.max(0, n - 1);
    default:
      return undefined;
  }
}

/** Everything that is not a move. Returns a promise for decisions so tests can wait for them. */
function run(hit: KeyCommand, key: string): Promise<unknown> | void {
  switch (hit.command) {
    case 'open': {
      const row = review.rowAt(review.cursor);
      if (row) detail.show(row.id);
      return;
    }
    case 'close':
      if (detail.open) {
        detail.close();
        globalThis.document?.querySelector<HTMLElement>('[data-testid="grid"]')?.focus();
      }
      return;
    case 'keep':
    case 'reject':
    case 'unsure':
      return review.decide(hit.command);
    case 'relabel':
      return ui.open('relabel');
    case 'accept':
      return labeling.acceptTargets();
    case 'assign-class':
      return labeling.assignKey(hit.classNumber ?? 0);
    case 'bulk-accept':
      return labeling.openBulk();
    case 'label-inbox':
      return review.labelInbox();
    case 'undo':
      return review.undo();
    case 'note':
      return ui.open('note');
    case 'help':
      return ui.open('shortcuts');
    case 'toggle-heatmap':
      detail.heatmap = !detail.heatmap;
      return;
    case 'select-all':
      return review.selectAll();
    case 'zoom-in':
      return key === '0' ? detail.resetView() : detail.zoomBy(1.25);
    case 'zoom-out':
      return detail.zoomBy(1 / 1.25);
    case 'zoom-reset':
      return detail.resetView();
    default:
      return;
  }
}

/**
 * Handle a key on the Review view. Returns null when the key is not ours (typing in a field, a dialog open,
 * another view), else the command's promise (resolved at once for moves and toggles).
 */
export function handleReviewKey(e: KeyPress): Promise<unknown> | null {
  if (ui.dialog || labeling.bulkOpen || ui.view !== 'review') return null;
  if (isTypingTarget(e.target?.tagName, e.target?.isContentEditable)) return null;
  const hit = commandFor(e);
  if (!hit) return null;
  e.preventDefault?.();
  const to = moveTarget(hit.command);
  if (to !== undefined) {
    review.moveTo(to, hit.extend);
    return Promise.resolve();
  }
  return Promise.resolve(run(hit, e.key));
}
