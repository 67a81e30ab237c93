// Histogram arithmetic for the threshold slider: how many images lie above a threshold, estimated from the
// bins while dragging (instant), before the exact count arrives from the service.
import type { Histogram } from '../../../src/shared/dto.js';

export function binEdges(h: Pick<Histogram, 'min' | 'max' | 'bins'>): number[] {
  const edges: number[] = [];
  const width = (h.max - h.min) / Math.max(1, h.bins);
  for (let i = 0; i <= h.bins; i++) edges.push(h.min + i * width);
  return edges;
}

export function binCenters(h: Pick<Histogram, 'min' | 'max' | 'bins'>): number[] {
  const width = (h.max - h.min) / Math.max(1, h.bins);
  return Array.from({ length: h.bins }, (_, i) => h.min + (i + 0.5) * width);
}

/** Total count per bin across every series. */
export function totalsPerBin(h: Histogram): number[] {
  const totals = new Array<number>(h.bins).fill(0);
  for (const s of h.series) s.counts.forEach((c, i) => (totals[i] = (totals[i] ?? 0) + c));
  return totals;
}

/** Images with score >= threshold, assuming a uniform spread inside the bin the threshold cuts. */
export function countAbove(h: Histogram, threshold: number): number {
  const totals = totalsPerBin(h);
  if (h.bins <= 0 || h.max <= h.min) return threshold <= h.min ? totals.reduce((a, b) => a + b, 0) : 0;
  const width = (h.max - h.min) / h.bins;
  let sum = 0;
  for (let i = 0; i < h.bins; i++) {
    const lo = h.min + i * width;
    const hi = lo + width;
    const c = totals[i] ?? 0;
    if (threshold <= lo) sum += c;
    else if (threshold < hi) sum += c * ((hi - threshold) / width);
  }
  return Math.round(sum);
}

export function clampThreshold(h: Pick<Histogram, 'min' | 'max'>, value: number): number {
  return Math.max(h.min, Math.min(h.max, value));
}

/** Map a pixel offset inside a plot area to a score. */
export function valueAtX(x: number, width: number, min: number, max: number): number {
  if (width <= 0) return min;
  return min + (Math.max(0, Math.min(width, x)) / width) * (max - min);
}
