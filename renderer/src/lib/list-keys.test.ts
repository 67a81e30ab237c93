import { describe, expect, it, vi } from 'vitest';
import { handleListKey, listCommand, type ListKeyEvent } from './list-keys.js';

function key(k: string, init: Partial<ListKeyEvent> = {}): ListKeyEvent & { defaultPrevented: boolean } {
  const e = {
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    target: null,
    defaultPrevented: false,
    preventDefault() {
      e.defaultPrevented = true;
    },
    ...init,
  };
  return e;
}

describe('listCommand', () => {
  it('moves with the review grid keys and acts with the list key or Enter', () => {
    expect(listCommand('j', 'k')).toBe('next');
    expect(listCommand('ArrowDown', 'k')).toBe('next');
    expect(listCommand('p', 'k')).toBe('previous');
    expect(listCommand('ArrowUp', 'r')).toBe('previous');
    expect(listCommand('k', 'k')).toBe('act');
    expect(listCommand('Enter', 'r')).toBe('act');
  });

  it('gives k no meaning in a list whose action is another key (it never means "up")', () => {
    expect(listCommand('k', 'r')).toBeNull();
    expect(listCommand('x', 'k')).toBeNull();
  });
});

describe('handleListKey', () => {
  const list = (length: number) => ({ length, move: vi.fn(), act: vi.fn() });

  it('moves by one in the pressed direction and swallows the key', () => {
    const l = list(3);
    const down = key('j');
    expect(handleListKey(down, 'k', l)).toBe(true);
    expect(l.move).toHaveBeenCalledWith(1, 3);
    expect(down.defaultPrevented).toBe(true);
    handleListKey(key('ArrowUp'), 'k', l);
    expect(l.move).toHaveBeenLastCalledWith(-1, 3);
  });

  it('acts only when the list has an item', () => {
    const empty = list(0);
    expect(handleListKey(key('Enter'), 'r', empty)).toBe(true);
    expect(empty.act).not.toHaveBeenCalled();
    const one = list(1);
    handleListKey(key('r'), 'r', one);
    expect(one.act).toHaveBeenCalledOnce();
  });

  it('leaves typing and shortcuts with a modifier alone', () => {
    const l = list(2);
    const input = { tagName: 'INPUT' } as unknown as EventTarget;
    const note = { tagName: 'DIV', isContentEditable: true } as unknown as EventTarget;
    expect(handleListKey(key('j', { target: input }), 'k', l)).toBe(false);
    expect(handleListKey(key('j', { target: note }), 'k', l)).toBe(false);
    expect(handleListKey(key('k', { ctrlKey: true }), 'k', l)).toBe(false);
    expect(l.move).not.toHaveBeenCalled();
    expect(l.act).not.toHaveBeenCalled();
  });
});
