import { describe, expect, it } from 'vitest';
import { diverseOrder, informativeness, mapCells, oodUncertainty } from './informative-order.js';

describe('informative order', () => {
  it('scores hesitation between two classes above a sure suggestion', () => {
    expect(informativeness(0.05, 0)).toBeGreaterThan(informativeness(0.9, 0));
    expect(informativeness(0.5, 1)).toBeGreaterThan(informativeness(0.5, 0));
    expect(informativeness(0, 1)).toBeCloseTo(1);
    expect(informativeness(1, 0)).toBeCloseTo(0);
  });

  it('counts an OOD score as uncertain near the threshold only', () => {
    expect(oodUncertainty(0.95, 0.95)).toBe(1);
    expect(oodUncertainty(0.5, 0.95)).toBe(0);
    expect(oodUncertainty(0.85, 0.95)).toBeCloseTo(0.6);
    expect(oodUncertainty(null, 0.95)).toBe(0);
  });

  it('deals round robin over clusters so one cluster does not fill the page', () => {
    const items = [
      { id: 1, score: 0.99, cluster: 'a' },
      { id: 2, score: 0.98, cluster: 'a' },
      { id: 3, score: 0.97, cluster: 'a' },
      { id: 4, score: 0.5, cluster: 'b' },
      { id: 5, score: 0.4, cluster: 'c' },
      { id: 6, score: 0.3, cluster: 'b' },
    ];
    expect(diverseOrder(items)).toEqual([1, 4, 5, 2, 6, 3]);
    expect(diverseOrder([])).toEqual([]);
  });

  it('turns map positions into grid cells', () => {
    const cells = mapCells(
      new Map([
        [1, { x: 0, y: 0 }],
        [2, { x: 10, y: 10 }],
        [3, { x: 0.5, y: 0.4 }],
      ]),
      4,
    );
    expect(cells.get(1)).toBe(cells.get(3));
    expect(cells.get(2)).toBe('cell 3,3');
  });
});
