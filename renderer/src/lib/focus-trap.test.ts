import { describe, expect, it } from 'vitest';
import { wrapFocus } from './focus-trap.js';

describe('wrapFocus', () => {
  it('wraps Tab from the last element to the first, Shift+Tab from the first to the last', () => {
    expect(wrapFocus(3, 2, false)).toBe(0);
    expect(wrapFocus(3, 0, true)).toBe(2);
  });
  it('leaves moves inside the list to the browser', () => {
    expect(wrapFocus(3, 0, false)).toBeNull();
    expect(wrapFocus(3, 1, true)).toBeNull();
  });
  it('brings focus from outside the list back in', () => {
    expect(wrapFocus(3, -1, false)).toBe(0);
    expect(wrapFocus(3, -1, true)).toBe(2);
  });
  it('has nowhere to go in an empty dialog', () => {
    expect(wrapFocus(0, -1, false)).toBeNull();
  });
  it('keeps a single element focused', () => {
    expect(wrapFocus(1, 0, false)).toBe(0);
    expect(wrapFocus(1, 0, true)).toBe(0);
  });
});
