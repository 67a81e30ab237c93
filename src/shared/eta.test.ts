import { describe, expect, it } from 'vitest';
import { RateMeter, formatDuration } from './eta.js';

describe('RateMeter', () => {
  it('reports rate and ETA from a controlled clock', () => {
    let t = 0;
    const meter = new RateMeter(() => t);
    expect(meter.sample(0, 100)).toEqual({ rate: 0, etaSeconds: null });
    t = 2000;
    const s = meter.sample(20, 100);
    expect(s.rate).toBeCloseTo(10);
    expect(s.etaSeconds).toBeCloseTo(8);
  });

  it('has no ETA before any progress', () => {
    let t = 0;
    const meter = new RateMeter(() => t);
    meter.sample(5, 10);
    t = 1000;
    expect(meter.sample(5, 10).etaSeconds).toBeNull();
  });
});

describe('formatDuration', () => {
  it('formats minutes and hours', () => {
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('--:--');
  });
});
