import { describe, expect, it } from 'vitest';
import { createRng } from '../../shared/random.js';
import {
  accuracyAtCuts,
  expectedCalibrationError,
  fitCalibration,
  fitTemperature,
  reliabilityBins,
  type HeldOutRow,
} from './calibration.js';

const CLASSES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** Rows whose true class wins by a unit shift under unit noise, so softmax(logits) is the true posterior;
 * `sharpness` > 1 makes the model overconfident by exactly that temperature. */
function rows(n: number, sharpness: number, seed: number): HeldOutRow[] {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Array.from({ length: n }, () => {
    const truth = Math.floor(rng() * CLASSES.length);
    const logits = CLASSES.map((_, k) => (k === truth ? 1 : 0) + gauss());
    const e = logits.map((l) => Math.exp(sharpness * l));
    const z = e.reduce((s, v) => s + v, 0);
    const probs = CLASSES.map((c, k) => ({ class: c, prob: e[k]! / z })).sort((x, y) => y.prob - x.prob);
    return { top: probs.slice(0, 5), truth: CLASSES[truth]! };
  });
}

describe('temperature scaling', () => {
  it('finds the sharpness the probabilities were made with', () => {
    expect(fitTemperature(rows(3000, 3, 1), CLASSES.length)).toBeGreaterThan(2.2);
    expect(fitTemperature(rows(3000, 3, 1), CLASSES.length)).toBeLessThan(3.8);
    expect(fitTemperature(rows(3000, 0.5, 2), CLASSES.length)).toBeLessThan(0.7);
    expect(fitTemperature(rows(3000, 1, 3), CLASSES.length)).toBeCloseTo(1, 0);
  });

  it('lowers the calibration error of an overconfident model, cross-validated', () => {
    const fit = fitCalibration(rows(2000, 3, 4), CLASSES.length);
    expect(fit.method).toBe('temperature');
    expect(fit.eceRaw).toBeGreaterThan(0.1);
    expect(fit.ece).toBeLessThan(fit.eceRaw / 2);
    expect(fit.heldOut).toBe(2000);
    const at90 = fit.cuts.find((c) => c.minConfidence === 0.9)!;
    expect(at90.accuracy).toBeGreaterThan(0.85);
  });

  it('fits nothing on too few held-out images and says why', () => {
    const fit = fitCalibration(rows(5, 3, 5), CLASSES.length);
    expect(fit.method).toBe('none');
    expect(fit.temperature).toBe(1);
    expect(fit.note).toMatch(/only 5 held-out/);
  });
});

describe('reliability diagram', () => {
  it('bins by confidence, 1.0 in the last bin, and weighs the gap by count', () => {
    const bins = reliabilityBins([
      { confidence: 0.95, right: true },
      { confidence: 1, right: false },
      { confidence: 0.05, right: false },
    ]);
    expect(bins).toHaveLength(10);
    expect(bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[9]!.meanConfidence).toBeCloseTo(0.975);
    expect(bins[0]).toMatchObject({ count: 1, accuracy: 0 });
    expect(expectedCalibrationError(bins)).toBeCloseTo((2 / 3) * 0.475 + (1 / 3) * 0.05);
  });

  it('reports accuracy at each cut, null where nothing reaches it', () => {
    const cuts = accuracyAtCuts(
      [
        { confidence: 0.6, right: true },
        { confidence: 0.85, right: false },
      ],
      [0.5, 0.8, 0.99],
    );
    expect(cuts).toEqual([
      { minConfidence: 0.5, count: 2, accuracy: 0.5 },
      { minConfidence: 0.8, count: 1, accuracy: 0 },
      { minConfidence: 0.99, count: 0, accuracy: null },
    ]);
  });
});
