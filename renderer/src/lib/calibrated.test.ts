import { describe, expect, it } from 'vitest';
import { calibratedOf, formatPercentile, scoreText, whyFlagged } from './calibrated.js';

const base = {
  status: 'ok',
  scores: { ssod: 497.04 },
  percentiles: { ssod: 97 },
  topClasses: [{ class: 'Sandal', prob: 0.31 }],
};

describe('calibrated scores', () => {
  it('reads the calibrated fraction, clamped, and ignores missing or broken values', () => {
    expect(calibratedOf({ scores: {}, calibrated: { ssod: 0.5 } }, 'ssod')).toBe(0.5);
    expect(calibratedOf({ scores: {}, calibrated: { ssod: 1.2 } }, 'ssod')).toBe(1);
    expect(calibratedOf({ scores: {}, calibrated: { ssod: Number.NaN } }, 'ssod')).toBeNull();
    expect(calibratedOf({ scores: {} }, 'ssod')).toBeNull();
    expect(calibratedOf({ scores: {}, calibrated: null }, 'ssod')).toBeNull();
  });

  it('formats percentiles with one decimal and never rounds below-1 up to 100%', () => {
    expect(formatPercentile(0.992)).toBe('99.2%');
    expect(formatPercentile(0.9999)).toBe('>99.9%');
    expect(formatPercentile(1)).toBe('100%');
    expect(formatPercentile(0)).toBe('0.0%');
  });

  it('shows the percentile first and the raw value on hover when calibrated', () => {
    const t = scoreText({ scores: { ssod: 497.04 }, calibrated: { ssod: 0.992 } }, 'ssod');
    expect(t).toMatchObject({ primary: '99.2%', calibrated: true });
    expect(t.title).toContain('497.0');
  });

  it('falls back to the raw value when the run has no calibration', () => {
    expect(scoreText({ scores: { ssod: 497.04 } }, 'ssod')).toMatchObject({ primary: '497.0', calibrated: false });
  });
});

describe('whyFlagged', () => {
  it('says how unusual the image is among training images and names the nearest class', () => {
    expect(whyFlagged({ ...base, calibrated: { ssod: 0.992 } }, 'ssod')).toBe(
      'More unusual than 99.2% of your training images; nearest class Sandal at 0.31.',
    );
  });

  it('falls back to the run-wide percentile without calibration', () => {
    expect(whyFlagged(base, 'ssod')).toBe(
      'More unusual than 97.0% of the images scored in this run; nearest class Sandal at 0.31.',
    );
  });

  it('says nothing for unreadable images or when nothing is known', () => {
    expect(whyFlagged({ ...base, status: 'error' }, 'ssod')).toBeNull();
    expect(whyFlagged({ ...base, percentiles: {}, topClasses: [] }, 'ssod')).toBeNull();
  });

  it('names only the nearest class when the scorer has no percentile', () => {
    expect(whyFlagged({ ...base, percentiles: {} }, 'ssod')).toBe('Nearest class Sandal at 0.31.');
  });
});
