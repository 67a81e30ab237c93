// The SSOD heatmap overlay: per-position ID probability, normalised with the dataset-wide range (not per
// image, so colours compare across images), drawn as RGBA with high OOD in warm colours.
import type { Heatmap } from '../../../src/shared/dto.js';

/** OOD-ness in [0, 1] per position: 1 - normalised ID probability. */
export function normalisedOod(h: Heatmap): number[] {
  const span = h.datasetMax - h.datasetMin;
  return h.values.map((v) => {
    const n = span > 0 ? (v - h.datasetMin) / span : 0.5;
    return 1 - Math.max(0, Math.min(1, n));
  });
}

/** A small perceptual ramp (dark blue → yellow → red); alpha follows OOD-ness so ID areas stay visible. */
export function colourFor(t: number): [number, number, number, number] {
  const x = Math.max(0, Math.min(1, t));
  const r = Math.round(255 * Math.min(1, x * 2));
  const g = Math.round(255 * (x < 0.5 ? x * 1.6 : 1 - (x - 0.5) * 1.8));
  const b = Math.round(255 * Math.max(0, 0.6 - x * 1.2));
  const a = Math.round(255 * (0.15 + 0.85 * x));
  return [r, g, b, a];
}

export function heatmapRgba(h: Heatmap): Uint8ClampedArray {
  const out = new Uint8ClampedArray(h.w * h.h * 4);
  normalisedOod(h).forEach((t, i) => out.set(colourFor(t), i * 4));
  return out;
}
