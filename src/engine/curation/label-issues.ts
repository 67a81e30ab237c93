// Likely mislabelled images from out-of-fold class probabilities: confident learning (Northcutt, Jiang & Chuang,
// "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021; the method cleanlab implements)
// finds which images are issues, and self-confidence or the normalised margin ranks them.
//   1. per-class threshold t_j = mean probability of class j over the images labelled j;
//   2. confident joint C[s][y]: an image labelled s counts as truly y when y is its most probable class among
//      those whose probability reaches their threshold (images reaching none are not counted);
//   3. C calibrated so row s sums to the number of images labelled s, then divided by n: the joint Q(s, y);
//   4. prune by noise rate: from class s, the n·Q(s, y) images with the largest margin p_y − p_s are issues.

export interface ProbabilityTable {
  /** Row-major [n, m] class probabilities, each row summing to about 1. */
  probs: Float32Array;
  n: number;
  m: number;
}

export type LabelRanking = 'self-confidence' | 'normalized-margin';

export interface LabelIssue {
  /** Index of the image in the input. */
  index: number;
  label: number;
  suggested: number;
  /** Probability of the suggested class. */
  suggestedProb: number;
  /** Suspicion in [0, 1], higher = more likely wrong (1 − self-confidence, or (1 − margin) / 2). */
  score: number;
  /** Confident learning's verdict: the image is one of the estimated label errors. */
  isIssue: boolean;
}

export interface LabelIssuesResult {
  thresholds: number[];
  /** Confident joint, [m][m], counts (row = given label, column = likely true class). */
  confidentJoint: number[][];
  /** Estimated number of label errors (sum of the off-diagonal of the calibrated joint, times n). */
  estimatedErrors: number;
  /** Every labelled image, most suspicious first: confident-learning issues first, then the rest by score. */
  ranked: LabelIssue[];
}

export function checkTable(t: ProbabilityTable, labels: Int32Array): void {
  if (!Number.isInteger(t.n) || !Number.isInteger(t.m) || t.m < 2 || t.probs.length !== t.n * t.m) {
    throw new RangeError(
      `label issues: ${t.probs.length} probabilities are not ${t.n} rows of ${t.m} classes (at least 2)`,
    );
  }
  if (labels.length !== t.n) throw new RangeError(`label issues: ${labels.length} labels for ${t.n} rows`);
  for (const l of labels) if (l < 0 || l >= t.m) throw new RangeError(`label issues: label ${l} outside 0..${t.m - 1}`);
}

/** Mean self-confidence per class; a class nobody carries gets threshold 1 (nothing can reach it by chance). */
export function perClassThresholds(t: ProbabilityTable, labels: Int32Array): number[] {
  const sum = new Float64Array(t.m);
  const count = new Float64Array(t.m);
  for (let i = 0; i < t.n; i++) {
    const l = labels[i]!;
    sum[l] = sum[l]! + t.probs[i * t.m + l]!;
    count[l] = count[l]! + 1;
  }
  return Array.from(sum, (s, j) => (count[j]! > 0 ? s / count[j]! : 1));
}

/** Per image, its confident true class (or -1), and the confident joint. */
export function confidentJoint(
  t: ProbabilityTable,
  labels: Int32Array,
  thresholds: number[],
): { joint: number[][]; trueClass: Int32Array } {
  const joint = Array.from({ length: t.m }, () => new Array<number>(t.m).fill(0));
  const trueClass = new Int32Array(t.n).fill(-1);
  for (let i = 0; i < t.n; i++) {
    let best = -1;
    let bestP = -1;
    for (let j = 0; j < t.m; j++) {
      const p = t.probs[i * t.m + j]!;
      if (p >= thresholds[j]! && p > bestP) {
        best = j;
        bestP = p;
      }
    }
    if (best < 0) continue;
    trueClass[i] = best;
    joint[labels[i]!]![best]!++;
  }
  return { joint, trueClass };
}

/** The joint Q(s, y) estimated from the confident joint, rows calibrated to the label counts. */
export function calibratedJoint(joint: number[][], labels: Int32Array): number[][] {
  const m = joint.length;
  const counts = new Array<number>(m).fill(0);
  for (const l of labels) counts[l]!++;
  const n = labels.length;
  return joint.map((r, s) => {
    const total = r.reduce((a, b) => a + b, 0);
    // A class with no confident rows keeps all its mass on the diagonal: no evidence of errors.
    if (total === 0) return r.map((_, y) => (y === s ? counts[s]! / n : 0));
    return r.map((c) => (c / total) * (counts[s]! / n));
  });
}

function selfConfidence(t: ProbabilityTable, i: number, label: number): number {
  return t.probs[i * t.m + label]!;
}

/** Best class other than `label`, and p_label − p_best other (in [-1, 1]). */
function bestOther(t: ProbabilityTable, i: number, label: number): { cls: number; prob: number; margin: number } {
  let cls = -1;
  let prob = -1;
  for (let j = 0; j < t.m; j++) {
    if (j !== label && t.probs[i * t.m + j]! > prob) {
      prob = t.probs[i * t.m + j]!;
      cls = j;
    }
  }
  return { cls, prob, margin: t.probs[i * t.m + label]! - prob };
}

/** Prune by noise rate: from each class s, the n·Q(s, y) images with the largest p_y − p_s move to y. */
export function pruneByNoiseRate(t: ProbabilityTable, labels: Int32Array, q: number[][]): Set<number> {
  const byClass: number[][] = Array.from({ length: t.m }, () => []);
  labels.forEach((l, i) => byClass[l]!.push(i));
  const issues = new Set<number>();
  for (let s = 0; s < t.m; s++) {
    for (let y = 0; y < t.m; y++) {
      if (y === s) continue;
      const k = Math.round(q[s]![y]! * t.n);
      if (k <= 0) continue;
      const margin = (i: number): number => t.probs[i * t.m + y]! - t.probs[i * t.m + s]!;
      const ranked = [...byClass[s]!].sort((a, b) => margin(b) - margin(a));
      for (const i of ranked.slice(0, k)) issues.add(i);
    }
  }
  return issues;
}

export function findLabelIssues(
  t: ProbabilityTable,
  labels: Int32Array,
  ranking: LabelRanking = 'normalized-margin',
): LabelIssuesResult {
  checkTable(t, labels);
  const thresholds = perClassThresholds(t, labels);
  const { joint } = confidentJoint(t, labels, thresholds);
  const q = calibratedJoint(joint, labels);
  const issues = pruneByNoiseRate(t, labels, q);
  const ranked: LabelIssue[] = [];
  for (let i = 0; i < t.n; i++) {
    const label = labels[i]!;
    const other = bestOther(t, i, label);
    const score = ranking === 'self-confidence' ? 1 - selfConfidence(t, i, label) : (1 - other.margin) / 2;
    ranked.push({ index: i, label, suggested: other.cls, suggestedProb: other.prob, score, isIssue: issues.has(i) });
  }
  ranked.sort((a, b) => Number(b.isIssue) - Number(a.isIssue) || b.score - a.score || a.index - b.index);
  const estimatedErrors = q.reduce((acc, r, s) => acc + r.reduce((a, v, y) => a + (y === s ? 0 : v), 0), 0) * t.n;
  return { thresholds, confidentJoint: joint, estimatedErrors, ranked };
}

/**
 * Full probability rows from stored top-k lists (class index, probability), as a run keeps them: the mass
 * outside the top k is spread evenly over the other classes, never above the k-th probability. Exact whenever
 * k ≥ m − 1; otherwise the label's own probability, when outside the top k, is an upper-bounded estimate.
 */
export function probsFromTop(tops: readonly (readonly [number, number][])[], m: number): ProbabilityTable {
  const n = tops.length;
  const probs = new Float32Array(n * m);
  tops.forEach((top, i) => {
    let mass = 0;
    let floor = 1;
    for (const [c, p] of top) {
      if (c < 0 || c >= m) throw new RangeError(`label issues: class ${c} outside 0..${m - 1}`);
      probs[i * m + c] = p;
      mass += p;
      floor = Math.min(floor, p);
    }
    const rest = m - top.length;
    if (rest > 0) {
      const fill = Math.min(floor, Math.max(0, 1 - mass) / rest);
      const seen = new Set(top.map(([c]) => c));
      for (let c = 0; c < m; c++) if (!seen.has(c)) probs[i * m + c] = fill;
    }
  });
  return { probs, n, m };
}
