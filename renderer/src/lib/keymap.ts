// The review keyboard map, in one table so the `?` overlay and the handler can never disagree.
// `k` is "keep" as the issue asks; moving uses arrows and `j`/`p` (next/previous) because `k` cannot mean both.

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
  { keys: ['Enter'], command: 'open', description: 'Open the image in detail' },
  { keys: ['Esc'], command: 'close', description: 'Close detail or dialog' },
  { keys: ['k'], command: 'keep', description: 'Keep (in-distribution), then next' },
  { keys: ['x'], command: 'reject', description: 'Reject as out-of-distribution, then next' },
  { keys: ['r'], command: 'relabel', description: 'Relabel (class picker, predicted class preselected)' },
  { keys: ['?'], command: 'help', description: 'Show every shortcut' },
  { keys: ['s'], command: 'unsure', description: 'Mark unsure' },
  { keys: ['u'], command: 'undo', description: 'Undo the latest decision on the target images' },
  { keys: ['n'], command: 'note', description: 'Add a note (records an unsure decision if none stands)' },
  { keys: ['h'], command: 'toggle-heatmap', description: 'Toggle the SSOD heatmap (detail)' },
  { keys: ['+', '-', '0'], command: 'zoom-in', description: 'Zoom in, out, reset (detail)' },
  { keys: ['Ctrl+A'], command: 'select-all', description: 'Select every loaded image' },
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
  Enter: 'open',
  Escape: 'close',
  j: 'next',
  p: 'previous',
  k: 'keep',
  x: 'reject',
  r: 'relabel',
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
