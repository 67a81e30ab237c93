import { describe, expect, it } from 'vitest';
import { calibratedChoice, temperTop } from './labeling-calibration.js';

describe('temperTop', () => {
  const top = [
    { class: 'cat', prob: 0.7 },
    { class: 'dog', prob: 0.2 },
    { class: 'fox', prob: 0.1 },
  ];

  it('leaves probabilities as they are at temperature 1', () => {
    const t = temperTop(top, 1, 3);
    [0.7, 0.2, 0.1].forEach((v, k) => expect(t.top[k]!.prob).toBeCloseTo(v, 12));
    expect(t.tailCount).toBe(0);
  });

  it('matches softmax of logits divided by the temperature', () => {
    const t = temperTop(top, 2, 3);
    const s = [0.7, 0.2, 0.1].map((p) => Math.sqrt(p));
    const z = s.reduce((a, b) => a + b, 0);
    t.top.forEach((x, i) => expect(x.prob).toBeCloseTo(s[i]! / z, 12));
  });

  it('spreads the mass outside the stored classes over the classes not stored', () => {
    const t = temperTop([{ class: 'cat', prob: 0.6 }], 1, 5);
    expect(t.tailCount).toBe(4);
    expect(t.tailEach).toBeCloseTo(0.1);
    const hot = temperTop([{ class: 'cat', prob: 0.6 }], 3, 5);
    expect(hot.top[0]!.prob + 4 * hot.tailEach).toBeCloseTo(1);
    expect(hot.top[0]!.prob).toBeLessThan(0.6);
  });

  it('does not underflow at a tiny temperature', () => {
    const t = temperTop(top, 0.01, 3);
    expect(t.top[0]!.prob).toBeCloseTo(1);
  });
});

describe('calibratedChoice', () => {
  it('gives the best class, its raw probability and the margin to the second', () => {
    const c = calibratedChoice(
      [
        { class: 'cat', prob: 0.5 },
        { class: 'dog', prob: 0.3 },
      ],
      1,
      3,
    )!;
    expect(c).toMatchObject({ class: 'cat', rawProb: 0.5 });
    expect(c.margin).toBeCloseTo(0.2);
    expect(calibratedChoice([], 1, 3)).toBeNull();
  });
});
