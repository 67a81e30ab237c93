// The strongest post-hoc rivals of OpenOOD v1.5 on the features SSOD already has: GEN, fDBD and RMDS on the pooled
// backbone feature and its linear classifier (ViM: vim.ts). All are OOD scores (higher = more out-of-distribution),
// so they sit beside MSP, Energy and KNN on equal terms.
import type { GaussianModel, ScatterStats } from './scorers.js';
import { gaussianFromScatter } from './scorers.js';

/** A linear classifier in the space of the raw pooled feature f: logits = f W + b, W [d, m] row-major. */
export interface LinearHead {
  d: number;
  m: number;
  w: Float32Array;
  b: Float32Array;
}

/** The baseline classifier reads standardised features z = (f - mean) / std; logits = z W + b is the same map as
 * f W' + b' with W' = W / std (per row) and b' = b - mean W': the linear head on the feature itself. */
export function rawLinearHead(
  w: Float32Array,
  b: Float32Array,
  stats: { mean: Float32Array; std: Float32Array },
  d: number,
  m: number,
): LinearHead {
  const w2 = new Float32Array(d * m);
  const b2 = Float64Array.from(b);
  for (let j = 0; j < d; j++)
    for (let k = 0; k < m; k++) {
      const v = w[j * m + k]! / stats.std[j]!;
      w2[j * m + k] = v;
      b2[k]! -= stats.mean[j]! * v;
    }
  return { d, m, w: w2, b: Float32Array.from(b2) };
}

/** Logits [n, m] of rows x [n, d] (float64 accumulation; m is small). */
export function linearLogits(head: LinearHead, x: Float32Array): Float32Array {
  const { d, m } = head;
  const n = x.length / d;
  const out = new Float32Array(n * m);
  const acc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    acc.set(head.b);
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      if (v === 0) continue;
      for (let k = 0; k < m; k++) acc[k]! += v * head.w[j * m + k]!;
    }
    out.set(acc, i * m);
  }
  return out;
}

/** GEN (Liu et al., CVPR 2023): generalised entropy sum_i p_i^g (1 - p_i)^g over the top-M softmax probabilities.
 * A confident (one-hot) prediction scores 0; a uniform one scores highest. */
export function genScores(
  logits: Float32Array,
  n: number,
  m: number,
  gamma = 0.1,
  topM = Math.min(m, 100),
): Float32Array {
  const out = new Float32Array(n);
  const p = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < m; k++) max = Math.max(max, logits[i * m + k]!);
    let sum = 0;
    for (let k = 0; k < m; k++) sum += p[k] = Math.exp(logits[i * m + k]! - max);
    for (let k = 0; k < m; k++) p[k]! /= sum;
    const top = topM >= m ? p : Float64Array.from(p).sort().reverse().subarray(0, topM);
    let g = 0;
    for (const q of top) g += Math.pow(q, gamma) * Math.pow(Math.max(0, 1 - q), gamma);
    out[i] = g;
  }
  return out;
}

/** fDBD (Liu & Qin, ICML 2024): the mean distance from f to the decision boundaries between its predicted class and
 * every other, |l_y - l_k| / ||w_y - w_k||, over its distance to the training mean ||f - mu||. Small = near a
 * boundary relative to how far from the data it is = OOD; returned negated so higher = more OOD. */
export function fdbdScores(head: LinearHead, x: Float32Array, logits: Float32Array, mean: Float32Array): Float32Array {
  const { d, m } = head;
  const n = x.length / d;
  const gap = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let c = a + 1; c < m; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (head.w[j * m + a]! - head.w[j * m + c]!) ** 2;
      gap[a * m + c] = gap[c * m + a] = Math.sqrt(s);
    }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let y = 0;
    for (let k = 1; k < m; k++) if (logits[i * m + k]! > logits[i * m + y]!) y = k;
    let dist = 0;
    for (let k = 0; k < m; k++)
      if (k !== y) dist += Math.abs(logits[i * m + y]! - logits[i * m + k]!) / Math.max(gap[y * m + k]!, 1e-12);
    dist /= Math.max(1, m - 1);
    let r = 0;
    for (let j = 0; j < d; j++) r += (x[i * d + j]! - mean[j]!) ** 2;
    out[i] = -dist / Math.max(Math.sqrt(r), 1e-12);
  }
  return out;
}

/** The mean of the rows behind summed scatter statistics. */
export function scatterMean(s: ScatterStats): Float32Array {
  let n = 0;
  for (const c of s.counts) n += c;
  const out = new Float32Array(s.d);
  for (let j = 0; j < s.d; j++) {
    let sum = 0;
    for (let k = 0; k < s.classes; k++) sum += s.sums[k * s.d + j]!;
    out[j] = s.centre[j]! + sum / Math.max(1, n);
  }
  return out;
}

/** One class-agnostic Gaussian from class-conditional statistics: every class folded into one. */
export function backgroundGaussian(s: ScatterStats, shrinkage: number): GaussianModel {
  const sums = new Float64Array(s.d);
  let n = 0;
  for (let k = 0; k < s.classes; k++) {
    n += s.counts[k]!;
    for (let j = 0; j < s.d; j++) sums[j]! += s.sums[k * s.d + j]!;
  }
  return gaussianFromScatter({ ...s, classes: 1, sums, counts: Float64Array.of(n) }, shrinkage);
}

/** RMDS (Ren et al., 2021): min over classes of the class-conditional Mahalanobis distance minus the distance under
 * one class-agnostic Gaussian. Given both as per-row squared distances (the second term does not depend on the
 * class, so it comes out of the minimum). */
export function rmdsScores(classMin: Float32Array, background: Float32Array): Float32Array {
  const out = new Float32Array(classMin.length);
  for (let i = 0; i < out.length; i++) out[i] = classMin[i]! - background[i]!;
  return out;
}
