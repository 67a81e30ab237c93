// Out-of-fold class probabilities for the label-noise benchmark: K-fold multinomial logistic regression on
// standardised features (full-batch gradient descent with momentum, L2), in plain JS so the benchmark needs no
// training pipeline. The app's own runs store the heads' out-of-fold top-5 probabilities instead.
import type { ProbabilityTable } from '../../src/engine/curation/label-issues.js';

function standardise(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      s += x[i * d + j]!;
      s2 += x[i * d + j]! ** 2;
    }
    const mean = s / n;
    const sd = Math.sqrt(Math.max(1e-12, s2 / n - mean * mean));
    for (let i = 0; i < n; i++) out[i * d + j] = (x[i * d + j]! - mean) / sd;
  }
  return out;
}

function logits(x: Float32Array, i: number, d: number, w: Float64Array, m: number): Float64Array {
  const z = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let s = w[d * m + c]!;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * w[j * m + c]!;
    z[c] = s;
  }
  const mx = Math.max(...z);
  let sum = 0;
  for (let c = 0; c < m; c++) sum += z[c] = Math.exp(z[c]! - mx);
  for (let c = 0; c < m; c++) z[c] = z[c]! / sum;
  return z;
}

function fit(x: Float32Array, rows: number[], d: number, labels: Int32Array, m: number): Float64Array {
  const w = new Float64Array((d + 1) * m);
  const v = new Float64Array(w.length);
  const lr = 0.5;
  const l2 = 1e-3;
  for (let epoch = 0; epoch < 60; epoch++) {
    const g = new Float64Array(w.length);
    for (const i of rows) {
      const p = logits(x, i, d, w, m);
      p[labels[i]!] = p[labels[i]!]! - 1;
      for (let j = 0; j < d; j++) {
        const xv = x[i * d + j]!;
        for (let c = 0; c < m; c++) g[j * m + c] = g[j * m + c]! + xv * p[c]!;
      }
      for (let c = 0; c < m; c++) g[d * m + c] = g[d * m + c]! + p[c]!;
    }
    for (let k = 0; k < w.length; k++) {
      v[k] = 0.9 * v[k]! - lr * (g[k]! / rows.length + l2 * w[k]!);
      w[k] = w[k]! + v[k]!;
    }
  }
  return w;
}

export function oofSoftmax(
  raw: Float32Array,
  n: number,
  d: number,
  labels: Int32Array,
  m: number,
  folds: number,
  seed: number,
): ProbabilityTable {
  const x = standardise(raw, n, d);
  const fold = Int32Array.from({ length: n }, (_, i) => (i * 7919 + seed) % folds);
  const probs = new Float32Array(n * m);
  for (let f = 0; f < folds; f++) {
    const train = [...Array(n).keys()].filter((i) => fold[i] !== f);
    const w = fit(x, train, d, labels, m);
    for (let i = 0; i < n; i++) if (fold[i] === f) probs.set(logits(x, i, d, w, m), i * m);
  }
  return { probs, n, m };
}
