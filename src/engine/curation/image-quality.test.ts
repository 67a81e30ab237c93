import { describe, expect, it } from 'vitest';
import {
  checkThresholds,
  colourShare,
  DEFAULT_QUALITY_THRESHOLDS as T,
  qualityFlags,
  qualityStats,
} from './image-quality.js';
import type { Pixels } from './perceptual-hash.js';
import { downscale, mapPixels, scene } from './testing.js';

function flat(value: number, w = 32, h = 32, channels = 3): Pixels {
  return { data: new Uint8Array(w * h * channels).fill(value), width: w, height: h, channels };
}

/** Box blur, three passes: a blurred copy. */
function blur(p: Pixels): Pixels {
  let cur = p;
  for (let pass = 0; pass < 3; pass++) {
    const out = new Uint8Array(cur.data.length);
    for (let y = 0; y < cur.height; y++) {
      for (let x = 0; x < cur.width; x++) {
        for (let c = 0; c < cur.channels; c++) {
          let s = 0;
          let n = 0;
          for (let dy = -2; dy <= 2; dy++) {
            for (let dx = -2; dx <= 2; dx++) {
              const yy = Math.min(cur.height - 1, Math.max(0, y + dy));
              const xx = Math.min(cur.width - 1, Math.max(0, x + dx));
              s += cur.data[(yy * cur.width + xx) * cur.channels + c]!;
              n++;
            }
          }
          out[(y * cur.width + x) * cur.channels + c] = Math.round(s / n);
        }
      }
    }
    cur = { ...cur, data: out };
  }
  return cur;
}

/** A sharp checkerboard with colour. */
function checker(w = 64, h = 64): Pixels {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const on = ((x >> 2) + (y >> 2)) % 2 === 1;
      data.set(on ? [230, 40, 40] : [20, 40, 200], (y * w + x) * 3);
    }
  }
  return { data, width: w, height: h, channels: 3 };
}

describe('image-quality flags', () => {
  it('measures brightness, contrast and colour exactly on flat images', () => {
    const s = qualityStats(flat(100));
    expect(s).toMatchObject({ brightness: 100, contrast: 0, sharpness: 0, colourfulness: 0, width: 32, height: 32 });
    expect(qualityFlags(qualityStats(flat(10)), T, 0)).toEqual(['dark', 'low-contrast', 'blurry']);
    expect(qualityFlags(qualityStats(flat(250)), T, 0)).toEqual(['bright', 'low-contrast', 'blurry']);
  });

  it('passes a sharp, contrasted colour image and flags its blurred copy as blurry only', () => {
    const sharp = checker();
    expect(qualityFlags(qualityStats(sharp), T, 1)).toEqual([]);
    const soft = qualityStats(blur(sharp));
    expect(soft.sharpness).toBeLessThan(qualityStats(sharp).sharpness / 10);
    expect(qualityFlags(soft, T, 1)).toContain('blurry');
  });

  it('flags tiny images and extreme aspect ratios by the original size', () => {
    const thumb = downscale(checker(), 2);
    expect(qualityFlags(qualityStats(thumb, { width: 20, height: 20 }), T, 1)).toContain('tiny');
    expect(qualityFlags(qualityStats(thumb, { width: 1200, height: 300 }), T, 1)).toEqual(['aspect']);
  });

  it('flags grey only among colour images', () => {
    // Every channel set to the red one: the same scene, grey.
    const colourScene = scene(3);
    const greyScene = qualityStats(mapPixels(colourScene, (_v, _c, i) => colourScene.data[i - (i % 3)]!));
    const colour = qualityStats(scene(4));
    expect(colourShare([greyScene, colour, colour], T)).toBeCloseTo(2 / 3);
    expect(qualityFlags(greyScene, T, 2 / 3)).toContain('grey');
    expect(qualityFlags(greyScene, T, 0.1)).not.toContain('grey');
  });

  it('refuses thresholds that make no sense', () => {
    expect(() => checkThresholds({ ...T, darkBelow: 240 })).toThrow(RangeError);
    expect(() => checkThresholds({ ...T, aspectAbove: 0.5 })).toThrow(RangeError);
    expect(() => checkThresholds({ ...T, blurBelow: Number.NaN })).toThrow(RangeError);
    expect(() => checkThresholds(T)).not.toThrow();
  });
});
