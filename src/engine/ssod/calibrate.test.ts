import { describe, expect, it } from 'vitest';
import { calibrateAll, calibratedValue, calibrateThresholds, calibrationSample, isFlagged } from './calibrate.js';

describe('calibrateThresholds', () => {
  it('lets exactly the pass rate of held-out ID through, per scorer', () => {
    const id = Array.from({ length: 100 }, (_, i) => i / 100); // 0.00 .. 0.99
    const t = calibrateThresholds({ a: id, b: id.map((x) => -x), empty: [] }, 0.95);
    expect(t.a).toBeCloseTo(0.94, 12);
    expect(id.filter((x) => !isFlagged(x, t.a!))).toHaveLength(95);
    expect(t.b).toBeCloseTo(-0.05, 12);
    expect(t.empty).toBeUndefined();
  });
  it('flags only scores above the threshold (ties pass)', () => {
    expect(isFlagged(0.5, 0.5)).toBe(false);
    expect(isFlagged(0.5000001, 0.5)).toBe(true);
  });
});

describe('calibrated scores', () => {
  const sample = calibrationSample([0.3, 0.1, 0.2, 0.4, NaN, 0.2]);
  it('keeps the held-out ID scores sorted, without NaN', () => {
    expect(Array.from(sample)).toEqual([0.1, 0.2, 0.2, 0.3, 0.4].map((v) => Math.fround(v)));
  });
  it('is the share of held-out ID images scoring strictly lower', () => {
    expect(calibratedValue(sample, 0)).toBe(0);
    expect(calibratedValue(sample, Math.fround(0.2))).toBeCloseTo(1 / 5, 12);
    expect(calibratedValue(sample, 0.25)).toBeCloseTo(3 / 5, 12);
    expect(calibratedValue(sample, 9)).toBe(1);
    expect(calibratedValue(new Float32Array(0), 1)).toBeNaN();
  });
  it('flags exactly the images whose calibrated score is above the calibrated threshold', () => {
    const id = Array.from({ length: 200 }, (_, i) => Math.fround(((i * 37) % 200) / 50));
    const cal = calibrationSample(id);
    const t = calibrateThresholds({ s: id }, 0.95).s!;
    const ct = calibratedValue(cal, t);
    for (const x of [...id, -1, 3.9, 3.95, 5]) expect(calibratedValue(cal, x) > ct).toBe(isFlagged(x, t));
  });
  it('thins large samples to evenly spaced order statistics, keeping both ends', () => {
    const big = calibrationSample(
      Array.from({ length: 1001 }, (_, i) => 1000 - i),
      11,
    );
    expect(Array.from(big)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
  it('maps every score of an image, leaving out scorers without a sample', () => {
    expect(calibrateAll({ a: sample }, { a: 0.35, b: 1 })).toEqual({ a: 4 / 5 });
    expect(calibrateAll(undefined, { a: 1 })).toEqual({});
  });
});
