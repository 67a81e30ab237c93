import { describe, expect, it } from 'vitest';
import { mergeRoc } from './roc.js';

describe('mergeRoc', () => {
  it('puts every curve on the union of false positive rates, carrying the best rate so far forward', () => {
    const [xs, a, b] = mergeRoc([
      { scorer: 'a', fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] },
      { scorer: 'b', fpr: [0, 0.25, 1], tpr: [0.1, 0.5, 1] },
    ]);
    expect(xs).toEqual([0, 0.25, 0.5, 1]);
    expect(a).toEqual([0, 0, 0.8, 1]);
    expect(b).toEqual([0.1, 0.5, 0.5, 1]);
  });

  it('accepts points out of order and is empty for no curves', () => {
    const [xs, a] = mergeRoc([{ scorer: 'a', fpr: [1, 0], tpr: [1, 0.2] }]);
    expect(xs).toEqual([0, 1]);
    expect(a).toEqual([0.2, 1]);
    expect(mergeRoc([])).toEqual([[]]);
  });
});
