import { describe, expect, it } from 'vitest';
import { columnsFor, gridWindow, moveIndex, pagesCovering, scrollToReveal } from './virtual-grid.js';

const m = { width: 1000, tileWidth: 150, tileHeight: 180, gap: 10 };

describe('virtual grid window', () => {
  it('fits as many columns as the width allows', () => {
    expect(columnsFor(m)).toBe(6); // 6*150 + 5*10 = 950 <= 1000
    expect(columnsFor({ ...m, width: 10 })).toBe(1);
  });

  it('renders only the visible rows plus overscan at 100,000 items', () => {
    const w = gridWindow(m, 100_000, 190 * 1000, 800, 2);
    expect(w.totalRows).toBe(Math.ceil(100_000 / 6));
    expect(w.firstRow).toBe(998);
    expect(w.endRow).toBe(1000 + Math.ceil(800 / 190) + 2);
    expect(w.end - w.start).toBeLessThanOrEqual(6 * 10);
    expect(w.offsetY).toBe(998 * 190);
  });

  it('clamps past the end and handles an empty list', () => {
    const w = gridWindow(m, 13, 1e9, 800);
    expect(w.end).toBe(13);
    expect(w.start).toBe(0);
    const e = gridWindow(m, 0, 0, 800);
    expect([e.start, e.end, e.totalHeight]).toEqual([0, 0, 0]);
  });

  it('scrolls just enough to reveal an item', () => {
    expect(scrollToReveal(0, 6, 190, 0, 800)).toBeNull();
    expect(scrollToReveal(6 * 10, 6, 190, 0, 800)).toBe(11 * 190 - 800);
    expect(scrollToReveal(6, 6, 190, 500, 800)).toBe(190);
  });

  it('lists the pages a range touches', () => {
    expect(pagesCovering(0, 200, 200)).toEqual([0]);
    expect(pagesCovering(150, 401, 200)).toEqual([0, 1, 2]);
    expect(pagesCovering(5, 5, 200)).toEqual([]);
  });

  it('moves the cursor by grid steps within bounds', () => {
    expect(moveIndex(0, 'left', 6, 100)).toBe(0);
    expect(moveIndex(0, 'down', 6, 100)).toBe(6);
    expect(moveIndex(98, 'down', 6, 100)).toBe(99);
    expect(moveIndex(50, 'home', 6, 100)).toBe(0);
    expect(moveIndex(50, 'end', 6, 100)).toBe(99);
    expect(moveIndex(50, 'page-up', 6, 100, 4)).toBe(26);
  });
});
