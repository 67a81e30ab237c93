// OOD evaluation metrics. Convention everywhere: scores are OOD scores (higher = more out-of-distribution) and
// ID is the positive class, so an image "passes" (is called ID) when its score is at or below the threshold.
// Ties are handled exactly: tied scores move together along the ROC curve (a diagonal step), and AUROC counts a
// tied ID/OOD pair as one half.

export interface RocPoint {
  /** Threshold: images with score <= t are called ID. */
  threshold: number;
  /** Share of ID passing (true positive rate). */
  tpr: number;
  /** Share of OOD passing (false positive rate). */
  fpr: number;
}

function check(id: ArrayLike<number>, ood: ArrayLike<number>): void {
  if (id.length === 0 || ood.length === 0) throw new RangeError('metrics need at least one ID and one OOD score');
}

/** ROC points as the pass threshold rises over every distinct score, from (0,0) to (1,1). */
export function rocCurve(id: ArrayLike<number>, ood: ArrayLike<number>): RocPoint[] {
  check(id, ood);
  const all: [number, number][] = [];
  for (let i = 0; i < id.length; i++) all.push([id[i]!, 1]);
  for (let i = 0; i < ood.length; i++) all.push([ood[i]!, 0]);
  all.sort((a, b) => a[0] - b[0]);
  const pts: RocPoint[] = [{ threshold: -Infinity, tpr: 0, fpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length;) {
    const t = all[i]![0];
    while (i < all.length && all[i]![0] === t) {
      if (all[i]![1] === 1) tp++;
      else fp++;
      i++;
    }
    pts.push({ threshold: t, tpr: tp / id.length, fpr: fp / ood.length });
  }
  return pts;
}

/** Area under the ROC curve: P(ID score < OOD score) + 0.5 P(tie). */
export function auroc(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  const pts = rocCurve(id, ood);
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    area += ((b.fpr - a.fpr) * (b.tpr + a.tpr)) / 2;
  }
  return area;
}

/** Smallest threshold at which at least `rate` of the scores pass (score <= threshold). */
export function thresholdAtPassRate(scores: ArrayLike<number>, rate: number): number {
  if (scores.length === 0) throw new RangeError('thresholdAtPassRate needs scores');
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`rate must be in (0, 1], got ${rate}`);
  const s = Float64Array.from(scores).sort();
  const k = Math.ceil(rate * s.length - 1e-9);
  return s[Math.max(0, k - 1)]!;
}

/** Share of OOD images passing at the threshold where (at least) `idRate` of ID images pass. */
export function fprAtTpr(id: ArrayLike<number>, ood: ArrayLike<number>, idRate = 0.95): number {
  check(id, ood);
  const t = thresholdAtPassRate(id, idRate);
  let pass = 0;
  for (let i = 0; i < ood.length; i++) if (ood[i]! <= t) pass++;
  return pass / ood.length;
}

export function fpr95(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  return fprAtTpr(id, ood, 0.95);
}

/** Average precision with `pos` the positives ranked by `rank` descending; tied blocks share one precision. */
function averagePrecision(pos: number[], neg: number[]): number {
  const all: [number, number][] = [
    ...pos.map((s): [number, number] => [s, 1]),
    ...neg.map((s): [number, number] => [s, 0]),
  ];
  all.sort((a, b) => b[0] - a[0]);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let i = 0; i < all.length;) {
    const t = all[i]![0];
    let dtp = 0;
    while (i < all.length && all[i]![0] === t) {
      if (all[i]![1] === 1) dtp++;
      else fp++;
      i++;
    }
    tp += dtp;
    ap += (dtp / pos.length) * (tp / (tp + fp));
  }
  return ap;
}

/** AUPR with ID as positive (ranked by lowest OOD score first). */
export function auprIn(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  check(id, ood);
  return averagePrecision(
    Array.from(id, (x) => -x),
    Array.from(ood, (x) => -x),
  );
}

/** AUPR with OOD as positive (ranked by highest OOD score first). */
export function auprOut(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  check(id, ood);
  return averagePrecision(Array.from(ood), Array.from(id));
}

/** Share of items whose predicted class equals the label. */
export function idAccuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw new RangeError('predicted and labels differ in length');
  if (labels.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) ok++;
  return ok / labels.length;
}

export interface OodReport {
  auroc: number;
  fpr95: number;
  auprIn: number;
  auprOut: number;
}

export function oodReport(id: ArrayLike<number>, ood: ArrayLike<number>): OodReport {
  return { auroc: auroc(id, ood), fpr95: fpr95(id, ood), auprIn: auprIn(id, ood), auprOut: auprOut(id, ood) };
}
