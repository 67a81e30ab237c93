// The trainable heads on frozen features: a per-position neck (1x1 convolutions = one dense layer applied to
// every position, L2-normalised), the CLS head on the pooled neck feature, and the OOD head per position.
// The prototype OOD head is bounded: its logit depends only on cosines to learned prototypes, so features far
// from the training data cannot get an arbitrarily large ID response (what sank the plain linear head).
import * as tf from '@tensorflow/tfjs';
import type { Variant } from './config.js';
import { normals } from './rng.js';

/** Logit scale for unit-norm features: cosine logits in [-1, 1] need it to reach confident probabilities. */
export const CLS_SCALE = 10;
/** Temperature of the soft maximum over prototypes. */
export const PROTO_TAU = 10;

export interface HeadShapes {
  /** Channels of a map position. */
  c: number;
  /** Neck output width (= c without a neck). */
  d: number;
  /** Classes. */
  m: number;
  /** Prototypes (prototype head). */
  k: number;
}

export function headShapes(c: number, m: number, v: Variant): HeadShapes {
  return { c, d: v.neck > 0 ? v.neck : c, m, k: m * v.prototypes };
}

/** Trainable parameters by name, plus the fixed input statistics. */
export type HeadVars = Record<string, tf.Variable>;

export function initHeadArrays(
  s: HeadShapes,
  v: Variant,
  rng: () => number,
  pooledC: number,
): Record<string, Float32Array> {
  const a: Record<string, Float32Array> = {};
  if (v.neck > 0) {
    a.neckW = normals(s.c * s.d, Math.sqrt(1 / s.c), rng);
    a.neckB = new Float32Array(s.d);
  }
  a.clsW = normals(s.d * s.m, Math.sqrt(1 / s.d), rng);
  a.clsB = new Float32Array(s.m);
  if (v.oodHead === 'prototype') {
    a.protos = normals(s.d * s.k, 1, rng);
    a.oodA = Float32Array.of(1);
    a.oodB = Float32Array.of(0);
  } else {
    a.oodW = normals(s.d, Math.sqrt(1 / s.d), rng);
    a.oodB = Float32Array.of(0);
  }
  // Plain linear classifier on the pooled feature: the network the post-hoc baselines (MSP, Energy) read.
  a.baseW = normals(pooledC * s.m, Math.sqrt(1 / pooledC), rng);
  a.baseB = new Float32Array(s.m);
  return a;
}

const SHAPES: Record<string, (s: HeadShapes, pooledC: number) => number[]> = {
  neckW: (s) => [s.c, s.d],
  neckB: (s) => [s.d],
  clsW: (s) => [s.d, s.m],
  clsB: (s) => [s.m],
  protos: (s) => [s.d, s.k],
  oodA: () => [],
  oodB: () => [],
  oodW: (s) => [s.d, 1],
  baseW: (s, p) => [p, s.m],
  baseB: (s) => [s.m],
};

export function shapeOf(name: string, s: HeadShapes, pooledC: number): number[] {
  const f = SHAPES[name];
  if (!f) throw new Error(`unknown head parameter ${name}`);
  return f(s, pooledC);
}

export function toVariables(arrays: Record<string, Float32Array>, s: HeadShapes, pooledC: number): HeadVars {
  const vars: HeadVars = {};
  for (const [name, a] of Object.entries(arrays))
    vars[name] = tf.variable(tf.tensor(a, shapeOf(name, s, pooledC)), true, undefined);
  return vars;
}

export function readVariables(vars: HeadVars): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(vars)) out[name] = Float32Array.from(v.dataSync() as Float32Array);
  return out;
}

/** Input statistics for standardising channels before the L2 normalisation. */
export interface InputStats {
  mean: Float32Array;
  std: Float32Array;
}

export function l2norm(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-6));
}

/** Position features as the heads see them: [N, c] -> standardised and L2-normalised (if the variant says so). */
export function prepare(x: tf.Tensor2D, stats: InputStats | undefined, v: Variant): tf.Tensor2D {
  if (!v.inputNorm || !stats) return x;
  return l2norm(tf.div(tf.sub(x, tf.tensor1d(stats.mean)), tf.tensor1d(stats.std)));
}

/** `prepare` on plain rows (training cuts its batches in JS): the same arithmetic, in place on a copy. */
export function prepareRows(x: Float32Array, c: number, stats: InputStats | undefined, v: Variant): Float32Array {
  if (!v.inputNorm || !stats) return x;
  const out = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += c) {
    let ss = 0;
    for (let j = 0; j < c; j++) {
      const z = (x[o + j]! - stats.mean[j]!) / stats.std[j]!;
      out[o + j] = z;
      ss += z * z;
    }
    const inv = 1 / (Math.sqrt(ss) + 1e-6);
    for (let j = 0; j < c; j++) out[o + j]! *= inv;
  }
  return out;
}

export function neck(x: tf.Tensor2D, p: Record<string, tf.Tensor>, v: Variant): tf.Tensor2D {
  if (v.neck <= 0) return x;
  return l2norm(tf.add(tf.matMul(x, p.neckW as tf.Tensor2D), p.neckB!));
}

export function clsLogits(g: tf.Tensor2D, p: Record<string, tf.Tensor>, v: Variant): tf.Tensor2D {
  const z = tf.matMul(g, p.clsW as tf.Tensor2D);
  return tf.add(v.inputNorm || v.neck > 0 ? tf.mul(z, CLS_SCALE) : z, p.clsB!);
}

/** OOD-head logits [N] (log-odds that a feature is in-distribution). */
export function oodLogits(g: tf.Tensor2D, p: Record<string, tf.Tensor>, v: Variant): tf.Tensor1D {
  if (v.oodHead === 'prototype') {
    const protos = tf.div<tf.Tensor2D>(p.protos!, tf.add(tf.norm(p.protos!, 'euclidean', 0, true), 1e-6));
    const cos = tf.matMul(l2norm(g), protos);
    const soft = tf.div(tf.logSumExp(tf.mul(cos, PROTO_TAU), 1), PROTO_TAU);
    return tf.add<tf.Tensor1D>(tf.mul(soft, tf.mul(p.oodA!, CLS_SCALE)), p.oodB!);
  }
  return tf.add<tf.Tensor1D>(tf.matMul(g, p.oodW as tf.Tensor2D).reshape([-1]), p.oodB!);
}

export function baseLogits(
  pooled: tf.Tensor2D,
  stats: InputStats | undefined,
  p: Record<string, tf.Tensor>,
): tf.Tensor2D {
  const z = stats ? tf.div(tf.sub(pooled, tf.tensor1d(stats.mean)), tf.tensor1d(stats.std)) : pooled;
  return tf.add(tf.matMul(z, p.baseW as tf.Tensor2D), p.baseB!);
}

/** Channel mean and std over rows of x [n, c]; std floored so dead channels do not blow up. */
export function channelStats(x: Float32Array, c: number): InputStats {
  const n = x.length / c;
  const mean = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < c; j++) {
      const v = x[i * c + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  const m = new Float32Array(c);
  const s = new Float32Array(c);
  let avgStd = 0;
  for (let j = 0; j < c; j++) {
    m[j] = mean[j]! / Math.max(1, n);
    s[j] = Math.sqrt(Math.max(0, sq[j]! / Math.max(1, n) - m[j]! * m[j]!));
    avgStd += s[j]! / c;
  }
  for (let j = 0; j < c; j++) s[j] = Math.max(s[j]!, 0.05 * avgStd + 1e-6);
  return { mean: m, std: s };
}
