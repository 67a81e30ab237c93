// The review keyboard map, in one table so the `?` overlay and the handler can never disagree.
// `k` is "keep" as the issue asks; moving uses arrows and `j`/`p` (next/previous) because `k` cannot mean both.
// Labeling owns `Enter` (accept the suggestion) and `1`–`9` (the n-th class of the legend), so a labeller's hand
// never leaves the keys it uses most; the detail view opens with `o` or Space (and a double click).

export type Command =
  | 'move-left'
  | 'move-right'
  | 'move-up'
  | 'move-down'
  | 'next'
  | 'previous'
  | 'page-up'
  | 'page-down'
  | 'home'
  | 'end'
  | 'open'
  | 'accept'
  | 'assign-class'
  | 'bulk-accept'
  | 'label-inbox'
  | 'close'
  | 'keep'
  | 'reject'
  | 'relabel'
  | 'unsure'
  | 'undo'
  | 'note'
  | 'help'
  | 'toggle-heatmap'
  | 'select-all'
  | 'zoom-in'
  | 'zoom-out'
  | 'zoom-reset';

export interface Shortcut {
  keys: string[];
  command: Command;
  description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['←', '→', '↑', '↓'], command: 'move-right', description: 'Move the cursor (Shift extends the selection)' },
  { keys: ['j'], command: 'next', description: 'Next image' },
  { keys: ['p'], command: 'previous', description: 'Previous image' },
  { keys: ['PageUp', 'PageDown'], command: 'page-down', description: 'Move a screen up or down' },
  { keys: ['Home', 'End'], command: 'home', description: 'First or last image' },
  { keys: ['o', 'Space'], command: 'open', description: 'Open the image in detail' },
  { keys: ['Esc'], command: 'close', description: 'Close detail or dialog' },
  { keys: ['k'], command: 'keep', description: 'Keep (in-distribution), then next' },
  { keys: ['x'], command: 'reject', description: 'Reject as out-of-distribution, then next' },
  {
    keys: ['r'],
    command: 'relabel',
    description: 'Label or relabel: pick a class or type a new one (suggestion preselected)',
  },
  {
    keys: ['1', '9'],
    command: 'assign-class',
    description: 'Give the class with that number in the legend, then next',
  },
  { keys: ['Enter'], command: 'accept', description: 'Accept the suggested class (unlabelled images), then next' },
  {
    keys: ['b'],
    command: 'bulk-accept',
    description: 'Bulk accept: every suggestion at or above a confidence, not flagged as OOD (preview first)',
  },
  { keys: ['i'], command: 'label-inbox', description: 'Label the inbox: unlabelled images, most informative first' },
  { keys: ['?'], command: 'help', description: 'Show every shortcut' },
  { keys: ['s'], command: 'unsure', description: 'Mark unsure' },
  { keys: ['u'], command: 'undo', description: 'Undo your latest action: a decision or a whole batch of labels' },
  { keys: ['n'], command: 'note', description: 'Add a note (records an unsure decision if none stands)' },
  { keys: ['h'], command: 'toggle-heatmap', description: 'Toggle the SSOD heatmap (detail)' },
  { keys: ['+', '-', '0'], command: 'zoom-in', description: 'Zoom in, out, reset (detail)' },
  { keys: ['Ctrl+A'], command: 'select-all', description: 'Select every image the filters show' },
];

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

export interface KeyCommand {
  command: Command;
  /** Shift held on a move: extend the selection. */
  extend: boolean;
  /** For `assign-class`: the legend's number, 1–9. */
  classNumber?: number;
}

const PLAIN: Record<string, Command> = {
  ArrowLeft: 'move-left',
  ArrowRight: 'move-right',
  ArrowUp: 'move-up',
  ArrowDown: 'move-down',
  PageUp: 'page-up',
  PageDown: 'page-down',
  Home: 'home',
  End: 'end',
  Enter: 'accept',
  o: 'open',
  ' ': 'open',
  Escape: 'close',
  j: 'next',
  p: 'previous',
  k: 'keep',
  x: 'reject',
  r: 'relabel',
  b: 'bulk-accept',
  i: 'label-inbox',
  s: 'unsure',
  u: 'undo',
  n: 'note',
  h: 'toggle-heatmap',
  '?': 'help',
  '+': 'zoom-in',
  '=': 'zoom-in',
  '-': 'zoom-out',
  '0': 'zoom-reset',
};

const MOVES = new Set<Command>([
  'move-left',
  'move-right',
  'move-up',
  'move-down',
  'next',
  'previous',
  'page-up',
  'page-down',
  'home',
  'end',
]);

export function isMove(command: Command): boolean {
  return MOVES.has(command);
}

/** Map a key event to a command, or null if the key is not ours. */
export function commandFor(e: KeyLike): KeyCommand | null {
  if (e.altKey) return null;
  if (e.ctrlKey || e.metaKey) {
    return e.key.toLowerCase() === 'a' ? { command: 'select-all', extend: false } : null;
  }
  if (/^[1-9]$/.test(e.key)) return { command: 'assign-class', extend: false, classNumber: Number(e.key) };
  // Shift+letter arrives as an upper-case key; only moves honour Shift (to extend the selection).
  const key = e.key.length === 1 && e.key !== '?' ? e.key.toLowerCase() : e.key;
  const command = PLAIN[key];
  if (!command) return null;
  const extend = Boolean(e.shiftKey) && isMove(command);
  if (e.shiftKey && !isMove(command) && e.key.length === 1 && e.key !== '?' && e.key !== '+') return null;
  return { command, extend };
}

/** Elements where typing must not trigger shortcuts. */
export function isTypingTarget(tagName: string | undefined, editable = false): boolean {
  if (editable) return true;
  const tag = (tagName ?? '').toUpperCase();
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}
