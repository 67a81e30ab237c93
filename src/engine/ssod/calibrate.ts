// Thresholds at the ID pass rate (the FPR95 convention): an image is flagged when its OOD score is above.
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
