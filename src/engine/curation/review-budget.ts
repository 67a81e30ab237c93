// The review-budget assistant. A reviewer has time for N images: reviewing the N highest OOD scores finds the
// most OOD images whenever P(OOD | score) rises with the score, so the threshold is the N-th highest score among
// images nobody has reviewed. How many OOD images that finds is estimated from the decisions so far:
// P(OOD | score) by isotonic regression of reviewers' decisions on the score (which images got reviewed depended
// only on their score, so the conditional is not biased by it). How many stay *below* the threshold can only be
// estimated from a random sample of unflagged images: a score-stratified audit sample, whose decisions give the
// prevalence below the threshold with a Wilson interval on the stratified estimate.
import { AppError } from '../../shared/errors.js';
import type { BudgetPlan } from '../../shared/curation-dto.js';
import { createRng, shuffleInPlace } from '../ssod/rng.js';

export interface BudgetImage {
  score: number;
  /** A reviewer's verdict: rejected as OOD, kept or relabelled (in-distribution), or none yet. */
  decision: 'ood' | 'id' | null;
  /** Drawn into the audit sample of unflagged images. */
  audit: boolean;
}

export interface BudgetOptions {
  /** Equal-count score strata below the threshold. */
  strata: number;
  /** Two-sided confidence of the intervals. */
  confidence: number;
  /** Points of the "expected OOD found against reviews spent" curve. */
  curvePoints: number;
}

export const DEFAULT_BUDGET_OPTIONS: BudgetOptions = { strata: 5, confidence: 0.95, curvePoints: 100 };

export type { BudgetPlan };

/** Pool-adjacent-violators: the non-decreasing fit of y on x, as blocks (mean x of the block, fitted value). */
export function isotonic(points: readonly { x: number; y: number }[]): { x: number; p: number }[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const blocks: { sx: number; sum: number; n: number }[] = [];
  for (const pt of sorted) {
    blocks.push({ sx: pt.x, sum: pt.y, n: 1 });
    while (blocks.length > 1 && blocks.at(-2)!.sum / blocks.at(-2)!.n >= blocks.at(-1)!.sum / blocks.at(-1)!.n) {
      const b = blocks.pop()!;
      const a = blocks.at(-1)!;
      a.sx += b.sx;
      a.sum += b.sum;
      a.n += b.n;
    }
  }
  return blocks.map((b) => ({ x: b.sx / b.n, p: b.sum / b.n }));
}

/**
 * P(OOD | score) from decisions: the isotonic fit, linearly interpolated between block centres. One
 * pseudo-decision at each end of the score range (ID at the lowest, OOD at the highest) keeps it off 0 and 1 on
 * little evidence; below the lowest decision it falls linearly towards the lowest score, which is a guess: the
 * audit sample is what puts evidence there.
 */
export function oodProbability(images: readonly BudgetImage[]): ((score: number) => number) | null {
  const decided = images
    .filter((im) => im.decision !== null)
    .map((im) => ({ x: im.score, y: im.decision === 'ood' ? 1 : 0 }));
  if (decided.length === 0) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const im of images) {
    lo = Math.min(lo, im.score);
    hi = Math.max(hi, im.score);
  }
  const fit = isotonic([...decided, { x: lo, y: 0 }, { x: hi, y: 1 }]);
  return (score) => {
    if (score <= fit[0]!.x) return fit[0]!.p;
    if (score >= fit.at(-1)!.x) return fit.at(-1)!.p;
    let a = 0;
    let b = fit.length - 1;
    while (b - a > 1) {
      const mid = (a + b) >> 1;
      if (fit[mid]!.x <= score) a = mid;
      else b = mid;
    }
    const t = (score - fit[a]!.x) / (fit[b]!.x - fit[a]!.x);
    return fit[a]!.p + t * (fit[b]!.p - fit[a]!.p);
  };
}

/** Standard normal quantile (Acklam's rational approximation; |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Wilson score interval for a proportion p̂ from n trials. */
export function wilson(p: number, n: number, confidence: number): [number, number] {
  if (n <= 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Stratum {
  population: number;
  sampled: number;
  ood: number;
}

/** Stratified prevalence with a Wilson interval at the design's effective sample size (Kish): [low, p̂, high]. */
export function stratifiedPrevalence(strata: readonly Stratum[], confidence: number): [number, number, number] | null {
  const used = strata.filter((s) => s.sampled > 0);
  const total = used.reduce((a, s) => a + s.population, 0);
  const n = used.reduce((a, s) => a + s.sampled, 0);
  if (n === 0 || total === 0) return null;
  let p = 0;
  let variance = 0;
  for (const s of used) {
    const w = s.population / total;
    const ph = s.ood / s.sampled;
    const fpc = s.population > 1 ? Math.max(0, (s.population - s.sampled) / (s.population - 1)) : 0;
    p += w * ph;
    variance += (w * w * ph * (1 - ph) * fpc) / s.sampled;
  }
  const nEff = variance > 0 && p > 0 && p < 1 ? Math.min(n, (p * (1 - p)) / variance) : n;
  const [lo, hi] = wilson(p, nEff, confidence);
  return [lo, p, hi];
}

/** Equal-count score strata of `rows` (indices into images), lowest scores first. */
export function scoreStrata(images: readonly BudgetImage[], rows: readonly number[], count: number): number[][] {
  const sorted = [...rows].sort((a, b) => images[a]!.score - images[b]!.score || a - b);
  const k = Math.max(1, Math.min(count, sorted.length));
  return Array.from({ length: k }, (_, h) =>
    sorted.slice(Math.floor((h * sorted.length) / k), Math.floor(((h + 1) * sorted.length) / k)),
  );
}

function rankedUnreviewed(images: readonly BudgetImage[]): number[] {
  return images
    .map((_, i) => i)
    .filter((i) => images[i]!.decision === null && !images[i]!.audit)
    .sort((a, b) => images[b]!.score - images[a]!.score || a - b);
}

export function checkReviews(reviews: number, available: number): void {
  if (!Number.isInteger(reviews) || reviews < 1) {
    throw new AppError('invalid-argument', `the review budget must be a whole number of at least 1, got ${reviews}`);
  }
  if (reviews > available) {
    throw new AppError(
      'invalid-argument',
      `the review budget (${reviews}) is larger than the ${available} images nobody has reviewed`,
    );
  }
}

function curveOf(
  ranked: readonly number[],
  images: readonly BudgetImage[],
  p: ((s: number) => number) | null,
  points: number,
): BudgetPlan['curve'] {
  if (!p) return [];
  const out: BudgetPlan['curve'] = [{ reviews: 0, expectedOod: 0 }];
  const step = Math.max(1, Math.ceil(ranked.length / points));
  let acc = 0;
  ranked.forEach((i, r) => {
    acc += p(images[i]!.score);
    if ((r + 1) % step === 0 || r + 1 === ranked.length) out.push({ reviews: r + 1, expectedOod: acc });
  });
  return out;
}

export function planBudget(
  images: readonly BudgetImage[],
  reviews: number,
  opts: Partial<BudgetOptions> = {},
): BudgetPlan {
  const options = { ...DEFAULT_BUDGET_OPTIONS, ...opts };
  const ranked = rankedUnreviewed(images);
  checkReviews(reviews, ranked.length);
  const threshold = images[ranked[reviews - 1]!]!.score;
  const flaggedRows = ranked.filter((i) => images[i]!.score >= threshold);
  const below = images
    .map((_, i) => i)
    .filter((i) => images[i]!.score < threshold && (images[i]!.decision === null || images[i]!.audit));
  const p = oodProbability(images);
  const expectedOod = p ? flaggedRows.reduce((a, i) => a + p(images[i]!.score), 0) : null;
  const strata = scoreStrata(images, below, options.strata).map((rows) => {
    const decided = rows.filter((i) => images[i]!.audit && images[i]!.decision !== null);
    return {
      population: rows.length,
      sampled: decided.length,
      ood: decided.filter((i) => images[i]!.decision === 'ood').length,
    };
  });
  const prevalence = below.length > 0 ? stratifiedPrevalence(strata, options.confidence) : null;
  const estimatedMissed: [number, number] | null = prevalence
    ? [prevalence[0] * below.length, prevalence[2] * below.length]
    : null;
  const foundOod = images.filter((im) => im.decision === 'ood' && im.score >= threshold).length;
  const caught = foundOod + (expectedOod ?? 0);
  const missRate: [number, number] | null = estimatedMissed
    ? [
        estimatedMissed[0] / Math.max(1e-9, caught + estimatedMissed[0]),
        estimatedMissed[1] / Math.max(1e-9, caught + estimatedMissed[1]),
      ]
    : null;
  return {
    reviews,
    threshold,
    flagged: flaggedRows.length,
    expectedOod,
    belowThreshold: below.length,
    auditDecided: strata.reduce((a, s) => a + s.sampled, 0),
    prevalence,
    estimatedMissed,
    missRate,
    curve: curveOf(ranked, images, p, options.curvePoints),
  };
}

/** A random audit sample of `size` unreviewed images below the threshold, equal numbers per score stratum. */
export function auditSample(
  images: readonly BudgetImage[],
  threshold: number,
  size: number,
  strata: number,
  seed: number,
): number[] {
  const pool = images
    .map((_, i) => i)
    .filter((i) => images[i]!.score < threshold && images[i]!.decision === null && !images[i]!.audit);
  if (!Number.isInteger(size) || size < 1)
    throw new AppError('invalid-argument', `an audit sample needs at least 1 image, got ${size}`);
  if (pool.length === 0)
    throw new AppError('invalid-argument', 'no unreviewed image lies below the threshold to audit');
  const rng = createRng(seed);
  const groups = scoreStrata(images, pool, strata);
  const out: number[] = [];
  groups.forEach((g, h) => {
    const want = Math.floor((size * (h + 1)) / groups.length) - Math.floor((size * h) / groups.length);
    out.push(...shuffleInPlace([...g], rng).slice(0, want));
  });
  return out.sort((a, b) => a - b);
}
