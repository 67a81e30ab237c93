// Temperature scaling of a run's class probabilities, fitted on the training images the run scored out of fold
// (held out from the model that scored them), with the reliability diagram and expected calibration error before
// and after. The figures after calibration are cross-validated: each fold is judged with a temperature fitted on
// the other folds, so the report does not grade the fit on the images it was fitted to.
import { temperTop, type StoredTop } from '../../shared/labeling-calibration.js';
import type { CalibrationFit, ReliabilityBin } from '../../shared/labeling-dto.js';

export type { CalibrationFit } from '../../shared/labeling-dto.js';

export interface HeldOutRow {
  /** The run's stored top probabilities, best first. */
  top: StoredTop[];
  /** The class the image trained as. */
  truth: string;
}

/** Fewer held-out images than this give a temperature that is mostly noise: none is fitted. */
export const MIN_HELD_OUT = 20;
export const BIN_COUNT = 10;
export const CONFIDENCE_CUTS: readonly number[] = [0.5, 0.8, 0.9, 0.95, 0.99];
const FOLDS = 5;
const LOG_T_RANGE: [number, number] = [Math.log(0.05), Math.log(20)];

/** Top-1 confidence and whether it is right, at temperature t. */
export interface Judged {
  confidence: number;
  right: boolean;
}

function judge(row: HeldOutRow, t: number, classCount: number): Judged {
  const best = temperTop(row.top, t, classCount).top[0];
  return { confidence: best?.prob ?? 0, right: best?.class === row.truth };
}

/** A row as log-probabilities, computed once: the search evaluates the likelihood at ~60 temperatures. */
interface LogRow {
  logs: Float64Array;
  tailLog: number;
  tailCount: number;
  /** Index of the true class in `logs`, or -1 when it is one of the classes not stored. */
  truth: number;
}

function toLogRow(row: HeldOutRow, classCount: number): LogRow {
  const tailCount = Math.max(0, classCount - row.top.length);
  const kept = row.top.reduce((s, t) => s + t.prob, 0);
  const tail = tailCount > 0 ? Math.max(0, 1 - kept) / tailCount : 0;
  return {
    logs: Float64Array.from(row.top, (t) => Math.log(Math.max(1e-12, t.prob))),
    tailLog: Math.log(Math.max(1e-12, tail)),
    tailCount,
    truth: row.top.findIndex((t) => t.class === row.truth),
  };
}

function nll(rows: readonly LogRow[], t: number): number {
  let sum = 0;
  for (const r of rows) {
    let max = r.tailCount > 0 ? r.tailLog / t : -Infinity;
    for (const l of r.logs) max = Math.max(max, l / t);
    let z = r.tailCount > 0 ? r.tailCount * Math.exp(r.tailLog / t - max) : 0;
    for (const l of r.logs) z += Math.exp(l / t - max);
    const own = r.truth >= 0 ? r.logs[r.truth]! : r.tailLog;
    sum += Math.log(z) - (own / t - max);
  }
  return sum / Math.max(1, rows.length);
}

/** The temperature with the least mean negative log-likelihood (golden-section search on log T: NLL is convex
 * in 1/T for softmax probabilities, so one minimum). */
export function fitTemperature(heldOut: readonly HeldOutRow[], classCount: number): number {
  if (heldOut.length === 0) return 1;
  const rows = heldOut.map((r) => toLogRow(r, classCount));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [a, b] = LOG_T_RANGE;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = nll(rows, Math.exp(c));
  let fd = nll(rows, Math.exp(d));
  for (let i = 0; i < 60 && b - a > 1e-4; i++) {
    if (fc < fd) {
      [b, d, fd] = [d, c, fc];
      c = b - ratio * (b - a);
      fc = nll(rows, Math.exp(c));
    } else {
      [a, c, fc] = [c, d, fd];
      d = a + ratio * (b - a);
      fd = nll(rows, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

/** Equal-width bins over [0, 1]; the last bin holds 1.0. */
export function reliabilityBins(judged: readonly Judged[], binCount: number = BIN_COUNT): ReliabilityBin[] {
  const bins = Array.from({ length: binCount }, (_, b) => ({
    lower: b / binCount,
    upper: (b + 1) / binCount,
    n: 0,
    c: 0,
    r: 0,
  }));
  for (const j of judged) {
    const bin = bins[Math.min(binCount - 1, Math.max(0, Math.floor(j.confidence * binCount)))]!;
    bin.n += 1;
    bin.c += j.confidence;
    bin.r += j.right ? 1 : 0;
  }
  return bins.map((b) => ({
    lower: b.lower,
    upper: b.upper,
    count: b.n,
    meanConfidence: b.n ? b.c / b.n : 0,
    accuracy: b.n ? b.r / b.n : 0,
  }));
}

/** Expected calibration error: the count-weighted mean gap between confidence and accuracy over the bins. */
export function expectedCalibrationError(bins: readonly ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  return n ? bins.reduce((s, b) => s + (b.count / n) * Math.abs(b.accuracy - b.meanConfidence), 0) : 0;
}

export function accuracyAtCuts(
  judged: readonly Judged[],
  cuts: readonly number[] = CONFIDENCE_CUTS,
): CalibrationFit['cuts'] {
  return cuts.map((minConfidence) => {
    const above = judged.filter((j) => j.confidence >= minConfidence);
    const right = above.filter((j) => j.right).length;
    return { minConfidence, count: above.length, accuracy: above.length ? right / above.length : null };
  });
}

/** Each row judged with a temperature fitted on the other folds (rows dealt to folds in turn). */
function crossValidated(rows: readonly HeldOutRow[], classCount: number): Judged[] {
  const judged = new Array<Judged>(rows.length);
  for (let f = 0; f < FOLDS; f++) {
    const t = fitTemperature(
      rows.filter((_, i) => i % FOLDS !== f),
      classCount,
    );
    rows.forEach((row, i) => {
      if (i % FOLDS === f) judged[i] = judge(row, t, classCount);
    });
  }
  return judged;
}

/** The calibration of a run from its held-out rows: the temperature to apply, and how well it holds. */
export function fitCalibration(rows: readonly HeldOutRow[], classCount: number): CalibrationFit {
  const raw = rows.map((r) => judge(r, 1, classCount));
  const binsRaw = reliabilityBins(raw);
  const accuracy = raw.length ? raw.filter((j) => j.right).length / raw.length : 0;
  const eceRaw = expectedCalibrationError(binsRaw);
  if (rows.length < MIN_HELD_OUT) {
    return {
      method: 'none',
      temperature: 1,
      heldOut: rows.length,
      accuracy,
      eceRaw,
      ece: eceRaw,
      binsRaw,
      bins: binsRaw,
      cuts: accuracyAtCuts(raw),
      note: `only ${rows.length} held-out labelled images (at least ${MIN_HELD_OUT} are needed): confidences are the model's own`,
    };
  }
  const calibrated = crossValidated(rows, classCount);
  const bins = reliabilityBins(calibrated);
  return {
    method: 'temperature',
    temperature: fitTemperature(rows, classCount),
    heldOut: rows.length,
    accuracy,
    eceRaw,
    ece: expectedCalibrationError(bins),
    binsRaw,
    bins,
    cuts: accuracyAtCuts(calibrated),
    note: null,
  };
}
