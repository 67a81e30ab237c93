import { describe, expect, it } from 'vitest';
import { createRng } from '../ssod/rng.js';
import {
  auditSample,
  isotonic,
  normalQuantile,
  planBudget,
  stratifiedPrevalence,
  wilson,
  type BudgetImage,
} from './review-budget.js';

/** 2,000 images, OOD with probability rising with the score; the reviewer has done the top 100 (and, with
 * `audited`, a random sample of the rest). */
function project(seed: number, audited = 0): { images: BudgetImage[]; truth: boolean[] } {
  const rng = createRng(seed);
  const images: BudgetImage[] = [];
  const truth: boolean[] = [];
  for (let i = 0; i < 2000; i++) {
    const score = rng();
    const ood = rng() < 0.02 + 0.5 * score ** 6;
    images.push({ score, decision: null, audit: false });
    truth.push(ood);
  }
  const order = images.map((_, i) => i).sort((a, b) => images[b]!.score - images[a]!.score);
  for (const i of order.slice(0, 100)) images[i]!.decision = truth[i] ? 'ood' : 'id';
  for (const i of order
    .slice(100)
    .filter((_, k) => k % Math.ceil(1900 / Math.max(1, audited)) === 1)
    .slice(0, audited)) {
    images[i]!.decision = truth[i] ? 'ood' : 'id';
    images[i]!.audit = true;
  }
  return { images, truth };
}

describe('review budget', () => {
  it('knows its statistics: normal quantiles, Wilson intervals, isotonic fits', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    const [lo, hi] = wilson(0.5, 100, 0.95);
    expect(lo).toBeCloseTo(0.4038, 3);
    expect(hi).toBeCloseTo(0.5962, 3);
    expect(wilson(0, 50, 0.95)[0]).toBe(0);
    expect(wilson(0, 50, 0.95)[1]).toBeCloseTo(0.0713, 3);
    expect(
      isotonic([
        { x: 1, y: 1 },
        { x: 2, y: 0 },
        { x: 3, y: 1 },
      ]),
    ).toEqual([
      { x: 1.5, p: 0.5 },
      { x: 3, p: 1 },
    ]);
  });

  it('weights strata by population', () => {
    const p = stratifiedPrevalence(
      [
        { population: 900, sampled: 30, ood: 0 },
        { population: 100, sampled: 30, ood: 15 },
      ],
      0.95,
    )!;
    expect(p[1]).toBeCloseTo(0.05, 9);
    expect(p[0]).toBeLessThan(0.05);
    expect(p[2]).toBeGreaterThan(0.05);
    expect(stratifiedPrevalence([{ population: 10, sampled: 0, ood: 0 }], 0.95)).toBeNull();
  });

  it('spends the budget on the highest unreviewed scores and expects about the true OOD count', () => {
    const { images, truth } = project(1, 100);
    const plan = planBudget(images, 200);
    const unreviewed = images
      .map((_, i) => i)
      .filter((i) => images[i]!.decision === null)
      .sort((a, b) => images[b]!.score - images[a]!.score);
    expect(plan.threshold).toBe(images[unreviewed[199]!]!.score);
    expect(plan.flagged).toBe(200);
    const actual = unreviewed.slice(0, 200).filter((i) => truth[i]).length;
    expect(plan.expectedOod).not.toBeNull();
    expect(Math.abs(plan.expectedOod! - actual)).toBeLessThan(actual * 0.3);
    expect(plan.curve.at(-1)!.reviews).toBe(unreviewed.length);
    const ys = plan.curve.map((c) => c.expectedOod);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    expect(planBudget(project(1).images, 200).estimatedMissed).toBeNull();
  });
});

describe('review budget audit', () => {
  it('covers the OOD left below the threshold with the audit interval', () => {
    const { images, truth } = project(2);
    const first = planBudget(images, 200);
    const sample = auditSample(images, first.threshold, 300, 5, 9);
    expect(sample).toHaveLength(300);
    expect(sample.every((i) => images[i]!.score < first.threshold && images[i]!.decision === null)).toBe(true);
    for (const i of sample) {
      images[i]!.audit = true;
      images[i]!.decision = truth[i] ? 'ood' : 'id';
    }
    const plan = planBudget(images, 200);
    const belowRows = images
      .map((_, i) => i)
      .filter((i) => images[i]!.score < plan.threshold && (images[i]!.decision === null || images[i]!.audit));
    const missed = belowRows.filter((i) => truth[i]).length;
    expect(plan.auditDecided).toBe(300);
    expect(plan.estimatedMissed![0]).toBeLessThanOrEqual(missed);
    expect(plan.estimatedMissed![1]).toBeGreaterThanOrEqual(missed);
    expect(plan.missRate![0]).toBeGreaterThan(0);
    expect(plan.missRate![1]).toBeLessThan(1);
  });

  it('refuses a budget of 0, a fraction, or more than the unreviewed images', () => {
    const { images } = project(3);
    expect(() => planBudget(images, 0)).toThrow(/at least 1/);
    expect(() => planBudget(images, 2.5)).toThrow(/whole number/);
    expect(() => planBudget(images, 1901)).toThrow(/larger than the 1900/);
    expect(planBudget(images, 1900).flagged).toBe(1900);
    expect(() => auditSample(images, -1, 10, 5, 1)).toThrow(/no unreviewed image/);
  });

  it('has no expectation before any decision', () => {
    const images = [0.1, 0.5, 0.9].map((score) => ({ score, decision: null, audit: false }));
    const plan = planBudget(images, 1);
    expect(plan).toMatchObject({ threshold: 0.9, flagged: 1, expectedOod: null, belowThreshold: 2, curve: [] });
  });
});
