import { describe, expect, it } from 'vitest';
import { calibrateThresholds, isFlagged } from './calibrate.js';

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
