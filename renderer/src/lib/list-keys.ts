// The curation lists (Duplicates, Likely mislabelled) move with the review grid's own keys — j / ↓ next,
// p / ↑ previous — so a reviewer's `k` means "keep" everywhere and never "up" in one view only.
// Each list has one action key of its own, and Enter does the same.

import { isTypingTarget } from './keymap.js';

export type ListCommand = 'next' | 'previous' | 'act';

export function listCommand(key: string, actionKey: string): ListCommand | null {
  if (key === 'j' || key === 'ArrowDown') return 'next';
  if (key === 'p' || key === 'ArrowUp') return 'previous';
  if (key === actionKey || key === 'Enter') return 'act';
  return null;
}

/** The parts of a key event the lists read (a KeyboardEvent has them all). */
export interface ListKeyEvent {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
  preventDefault(): void;
}

/** Handles a key for a list of `length` items; returns whether it was one of the list's keys. */
export function handleListKey(
  e: ListKeyEvent,
  actionKey: string,
  list: { length: number; move: (delta: number, length: number) => void; act: () => void },
): boolean {
  const target = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  if (isTypingTarget(target?.tagName, target?.isContentEditable === true)) return false;
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  const command = listCommand(e.key, actionKey);
  if (command === null) return false;
  if (command === 'act') {
    if (list.length > 0) list.act();
  } else list.move(command === 'next' ? 1 : -1, list.length);
  e.preventDefault();
  return true;
}
