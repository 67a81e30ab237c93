import { describe, expect, it } from 'vitest';
import { Selection } from './selection.js';

describe('Selection', () => {
  it('click selects one, ctrl toggles, shift extends from the anchor', () => {
    const s = new Selection();
    s.click(3);
    expect(s.indices()).toEqual([3]);
    s.click(5, { toggle: true });
    expect(s.indices()).toEqual([3, 5]);
    s.click(8, { shift: true });
    expect(s.indices()).toEqual([5, 6, 7, 8]);
    s.click(5, { toggle: true });
    expect(s.has(5)).toBe(false);
  });

  it('shift+arrows extend, plain moves collapse', () => {
    const s = new Selection();
    s.moveTo(2);
    s.moveTo(4, true);
    expect(s.indices()).toEqual([2, 3, 4]);
    s.moveTo(1, true);
    expect(s.indices()).toEqual([1, 2]);
    s.moveTo(6);
    expect(s.size).toBe(0);
    expect(s.cursor).toBe(6);
  });

  it('targets the selection, or the cursor when nothing is selected', () => {
    const s = new Selection();
    s.moveTo(7);
    expect(s.targets(100)).toEqual([7]);
    expect(s.targets(5)).toEqual([4]);
    expect(s.targets(0)).toEqual([]);
    s.selectRange(1, 3);
    expect(s.targets(100)).toEqual([1, 2, 3]);
  });
});
