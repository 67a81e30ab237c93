import { describe, expect, it } from 'vitest';
import { insidePolygon, lassoSelect } from './lasso.js';

describe('lasso', () => {
  const square = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
    { x: 10, y: 10 },
    { x: 0, y: 10 },
  ];
  it('selects exactly the points inside', () => {
    const pts = [
      { x: 5, y: 5 },
      { x: 11, y: 5 },
      { x: -1, y: -1 },
      { x: 9.9, y: 0.1 },
    ];
    expect(lassoSelect(pts, square)).toEqual([0, 3]);
    expect(insidePolygon({ x: 5, y: 15 }, square)).toBe(false);
  });
  it('selects nothing with a lasso of fewer than three corners or around nothing', () => {
    expect(lassoSelect([{ x: 1, y: 1 }], square.slice(0, 2))).toEqual([]);
    expect(lassoSelect([{ x: 50, y: 50 }], square)).toEqual([]);
  });
});
