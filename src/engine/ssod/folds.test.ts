import { describe, expect, it } from 'vitest';
import { OOD_LABEL, type TrainItem } from '../types.js';
import { assignFolds, stratifiedSplit } from './folds.js';

const items: TrainItem[] = [
  ...Array.from({ length: 50 }, (_, i) => ({ row: i, label: 0 })),
  ...Array.from({ length: 23 }, (_, i) => ({ row: 50 + i, label: 1 })),
  ...Array.from({ length: 7 }, (_, i) => ({ row: 73 + i, label: OOD_LABEL })),
];

describe('assignFolds', () => {
  it('spreads every label evenly over the folds', () => {
    const fold = assignFolds(items, 5, 1);
    for (const label of [0, 1, OOD_LABEL]) {
      const counts = [0, 0, 0, 0, 0];
      items.forEach((it, i) => it.label === label && counts[fold[i]!]!++);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    const totals = [0, 0, 0, 0, 0];
    fold.forEach((f) => totals[f]!++);
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1);
  });
  it('is deterministic for a seed and differs between seeds', () => {
    expect(assignFolds(items, 5, 7)).toEqual(assignFolds(items, 5, 7));
    expect(assignFolds(items, 5, 7)).not.toEqual(assignFolds(items, 5, 8));
  });
  it('refuses k < 2', () => {
    expect(() => assignFolds(items, 1, 0)).toThrow(RangeError);
  });
});

describe('stratifiedSplit', () => {
  it('holds out the fraction per label and keeps one of each', () => {
    const { fit, held } = stratifiedSplit(items, 0.2, 3);
    expect(fit.length + held.length).toBe(items.length);
    expect(held.filter((i) => items[i]!.label === 0)).toHaveLength(10);
    expect(held.filter((i) => items[i]!.label === 1)).toHaveLength(5);
    const single = stratifiedSplit([{ row: 0, label: 2 }], 0.5, 1);
    expect(single).toEqual({ fit: [0], held: [] });
  });
});
