// Thresholds at the ID pass rate (the FPR95 convention): an image is flagged when its OOD score is above. And the
// calibrated scale: a score as the share of held-out ID images that score lower ("more unusual than 99.2% of the
// training images"), the same meaning for every scorer.
import { thresholdAtPassRate } from '../metrics/index.js';

/** Per scorer, the threshold at which `rate` of the held-out ID scores pass (score <= threshold). */
export function calibrateThresholds(
  heldOutId: Record<string, ArrayLike<number>>,
  rate: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, scores] of Object.entries(heldOutId))
    if (scores.length > 0) out[name] = thresholdAtPassRate(scores, rate);
  return out;
}

export function isFlagged(score: number, threshold: number): boolean {
  return score > threshold;
}

/** Held-out samples above this size keep evenly spaced order statistics: percentiles to 1e-4 need no more. */
export const MAX_CALIBRATION_SAMPLE = 10_000;

/** The sorted sample a calibrated score is read from (NaN scores dropped). */
export function calibrationSample(scores: ArrayLike<number>, max = MAX_CALIBRATION_SAMPLE): Float32Array {
  const s = Float32Array.from(Array.from(scores).filter((v) => !Number.isNaN(v))).sort();
  if (s.length <= max) return s;
  return Float32Array.from({ length: max }, (_, i) => s[Math.round((i * (s.length - 1)) / (max - 1))]!);
}

/** Share of the sample strictly below x, in [0, 1]; NaN for an empty sample or a NaN score. */
export function calibratedValue(sorted: Float32Array, x: number): number {
  if (sorted.length === 0 || Number.isNaN(x)) return NaN;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

/** Every score of an image (or every threshold) on the calibrated scale of its scorer. */
export function calibrateAll(
  calibration: Record<string, Float32Array> | undefined,
  scores: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (!calibration) return out;
  for (const [k, v] of Object.entries(scores)) {
    const c = calibration[k];
    const q = c && c.length > 0 ? calibratedValue(c, v) : NaN;
    // NaN has no place on the scale (and no JSON form): the scorer is left out for this image.
    if (!Number.isNaN(q)) out[k] = q;
  }
  return out;
}
