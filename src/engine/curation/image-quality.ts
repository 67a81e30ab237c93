// Image-quality flags from decoded pixels (the scan's thumbnail decode supplies them; no file is opened here):
// too dark, too bright, low contrast, blurry (variance of the Laplacian of the grey image), tiny, extreme aspect
// ratio, and grey among colour (a grey image in a set that is mostly colour). Statistics are computed once per
// image and stored; flags are a cheap function of statistics and thresholds, so a changed threshold re-flags
// without decoding anything.
import { checkPixels, luma, type Pixels } from './perceptual-hash.js';
import {
  QUALITY_FLAGS,
  type QualityFlag,
  type QualityStats,
  type QualityThresholdsDto,
} from '../../shared/curation-dto.js';

// The flag names, statistics and thresholds are part of the API (src/shared/curation-dto.ts); the engine
// computes them.
export { DEFAULT_QUALITY_THRESHOLDS, type QualityStats } from '../../shared/curation-dto.js';
export const QUALITY_KINDS = QUALITY_FLAGS;
export type QualityKind = QualityFlag;
export type QualityThresholds = QualityThresholdsDto;

function laplacianVariance(g: Float32Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = g[i - 1]! + g[i + 1]! + g[i - w]! + g[i + w]! - 4 * g[i]!;
      sum += v;
      sum2 += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

function colourfulness(p: Pixels): number {
  if (p.channels === 1) return 0;
  let s = 0;
  const n = p.width * p.height;
  for (let i = 0; i < n; i++) {
    const o = i * p.channels;
    const r = p.data[o]!;
    const g = p.data[o + 1]!;
    const b = p.data[o + 2]!;
    s += (Math.abs(r - g) + Math.abs(g - b) + Math.abs(b - r)) / 3;
  }
  return s / n;
}

/** Statistics of decoded pixels; `original` is the size of the file's image when `p` is a thumbnail. */
export function qualityStats(p: Pixels, original?: { width: number; height: number }): QualityStats {
  checkPixels(p);
  const g = luma(p);
  let sum = 0;
  let sum2 = 0;
  for (const v of g) {
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / g.length;
  return {
    brightness: mean,
    contrast: Math.sqrt(Math.max(0, sum2 / g.length - mean * mean)),
    sharpness: laplacianVariance(g, p.width, p.height),
    colourfulness: colourfulness(p),
    width: original?.width ?? p.width,
    height: original?.height ?? p.height,
  };
}

export function checkThresholds(t: QualityThresholds): void {
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new RangeError(`quality threshold ${k} must be a number ≥ 0, got ${String(v)}`);
  }
  if (t.darkBelow >= t.brightAbove) throw new RangeError('quality thresholds: darkBelow must be below brightAbove');
  if (t.aspectAbove < 1) throw new RangeError('quality threshold aspectAbove must be at least 1');
  if (t.greyFlagWhenColourShare > 1)
    throw new RangeError('quality threshold greyFlagWhenColourShare must be at most 1');
}

/** Share of images that are colour: the context "grey among colour" needs. */
export function colourShare(all: readonly QualityStats[], t: QualityThresholds): number {
  if (all.length === 0) return 0;
  return all.filter((s) => s.colourfulness >= t.greyBelow).length / all.length;
}

/** The flags of one image, given the share of colour images in its set. */
export function qualityFlags(s: QualityStats, t: QualityThresholds, setColourShare: number): QualityKind[] {
  const out: QualityKind[] = [];
  if (s.brightness < t.darkBelow) out.push('dark');
  if (s.brightness > t.brightAbove) out.push('bright');
  if (s.contrast < t.contrastBelow) out.push('low-contrast');
  if (s.sharpness < t.blurBelow) out.push('blurry');
  if (Math.min(s.width, s.height) < t.tinyBelow) out.push('tiny');
  if (Math.max(s.width, s.height) / Math.max(1, Math.min(s.width, s.height)) > t.aspectAbove) out.push('aspect');
  if (s.colourfulness < t.greyBelow && setColourShare >= t.greyFlagWhenColourShare) out.push('grey');
  return out;
}
