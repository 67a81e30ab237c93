import { describe, expect, it } from 'vitest';
import { SHORTCUTS, commandFor, isTypingTarget } from './keymap.js';

describe('keymap', () => {
  it('maps the review keys', () => {
    expect(commandFor({ key: 'k' })?.command).toBe('keep');
    expect(commandFor({ key: 'x' })?.command).toBe('reject');
    expect(commandFor({ key: 'r' })?.command).toBe('relabel');
    expect(commandFor({ key: 'u' })?.command).toBe('undo');
    expect(commandFor({ key: 'n' })?.command).toBe('note');
    expect(commandFor({ key: 'j' })?.command).toBe('next');
    expect(commandFor({ key: 'Enter' })?.command).toBe('accept');
    expect(commandFor({ key: 'o' })?.command).toBe('open');
    expect(commandFor({ key: ' ' })?.command).toBe('open');

    expect(commandFor({ key: '?', shiftKey: true })?.command).toBe('help');
    expect(commandFor({ key: 'q' })).toBeNull();
  });

  it('Shift extends moves but does not turn letters into decisions', () => {
    expect(commandFor({ key: 'ArrowDown', shiftKey: true })).toEqual({ command: 'move-down', extend: true });
    expect(commandFor({ key: 'J', shiftKey: true })).toEqual({ command: 'next', extend: true });
    expect(commandFor({ key: 'X', shiftKey: true })).toBeNull();
  });

  it('maps 1–9 to the class with that number, and nothing else to a class', () => {
    for (let n = 1; n <= 9; n++)
      expect(commandFor({ key: String(n) })).toEqual({ command: 'assign-class', extend: false, classNumber: n });
    expect(commandFor({ key: '0' })?.command).toBe('zoom-reset');
    expect(commandFor({ key: '!', shiftKey: true })).toBeNull();
    expect(commandFor({ key: '1', ctrlKey: true })).toBeNull();
    expect(commandFor({ key: '1', altKey: true })).toBeNull();
  });

  it('ignores browser shortcuts except select-all', () => {
    expect(commandFor({ key: 'r', ctrlKey: true })).toBeNull();
    expect(commandFor({ key: 'a', metaKey: true })?.command).toBe('select-all');
    expect(commandFor({ key: 'k', altKey: true })).toBeNull();
  });

  it('documents every decision key in the help table', () => {
    const documented = new Set(SHORTCUTS.flatMap((s) => s.keys));
    for (const k of ['k', 'x', 'r', 'u', 'n', '?', 'j', 'Enter', 'o', '1']) expect(documented.has(k)).toBe(true);
  });

  it('does not steal keys from text fields', () => {
    expect(isTypingTarget('input')).toBe(true);
    expect(isTypingTarget('TEXTAREA')).toBe(true);
    expect(isTypingTarget('DIV')).toBe(false);
    expect(isTypingTarget('DIV', true)).toBe(true);
  });
});
