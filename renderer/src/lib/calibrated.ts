// Scores a person can read. A scorer's raw value (497.0, -8.2) means nothing to a reviewer; its calibrated value
// does: the share of held-out in-distribution images (training images scored out of fold) with a lower score.
// "0.992" reads as "more unusual than 99.2% of your training images". Raw values stay available on hover;
// where a run has no calibration yet, the raw value is all there is and is shown as such.
import { formatScore } from './format.js';

/** Rows and details may carry `calibrated` (runs that computed it); older runs do not. */
export interface MaybeCalibrated {
  scores: Record<string, number>;
  calibrated?: Record<string, number> | null;
}

export function calibratedOf(item: MaybeCalibrated, scorer: string): number | null {
  const v = item.calibrated?.[scorer];
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : null;
}

/** 0.992 → "99.2%", keeping one decimal so the top of the list stays distinguishable. */
export function formatPercentile(fraction: number): string {
  const pct = fraction * 100;
  if (fraction >= 1) return '100%';
  if (pct >= 99.95) return '>99.9%';
  return `${pct.toFixed(1)}%`;
}

export interface ScoreText {
  /** What the tile shows: the percentile when calibrated, else the raw score. */
  primary: string;
  /** What hovering shows. */
  title: string;
  calibrated: boolean;
}

export function scoreText(item: MaybeCalibrated, scorer: string): ScoreText {
  const raw = item.scores[scorer];
  const cal = calibratedOf(item, scorer);
  if (cal !== null) {
    return {
      primary: formatPercentile(cal),
      title: `${scorer} ${formatScore(raw)}: more unusual than ${formatPercentile(cal)} of held-out training images`,
      calibrated: true,
    };
  }
  return {
    primary: formatScore(raw),
    title: `${scorer} score ${formatScore(raw)} (no calibration for this run)`,
    calibrated: false,
  };
}

export interface WhyInput extends MaybeCalibrated {
  /** Percentile (0..100) among every scored image of the run: the fallback when there is no calibration. */
  percentiles: Record<string, number>;
  topClasses: { class: string; prob: number }[];
  status: string;
}

/** One sentence on why an image is (or is not) flagged, for the detail view. */
export function whyFlagged(image: WhyInput, scorer: string): string | null {
  if (image.status !== 'ok') return null;
  const cal = calibratedOf(image, scorer);
  const pct = image.percentiles[scorer];
  let unusual: string | null = null;
  if (cal !== null) unusual = `More unusual than ${formatPercentile(cal)} of your training images`;
  else if (typeof pct === 'number' && Number.isFinite(pct))
    unusual = `More unusual than ${formatPercentile(pct / 100)} of the images scored in this run`;
  const top = image.topClasses[0];
  const nearest = top ? `nearest class ${top.class} at ${top.prob.toFixed(2)}` : null;
  if (!unusual && !nearest) return null;
  const text = [unusual, nearest].filter(Boolean).join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
