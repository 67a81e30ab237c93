// The heads adapt mode trains with the top: the CLS head (linear on the pooled adapted feature, and the same
// weights at every position for the sampler) and a bounded OOD head. The OOD head scores a position by its
// squared distance to the nearest class prototype on the unit sphere: logit = bias - scale * d^2. A linear head
// extrapolates (a texture or a bright stroke far from every training feature can get a huge ID logit); this one
// can only give an ID logit near a prototype, and its largest possible logit is `bias`.
import * as tf from '@tensorflow/tfjs';
import { plainMatMul } from './differentiable-top.js';

export interface HeadWeights {
  /** [C, M] and [M]: the CLS head. */
  clsW: Float32Array;
  clsB: Float32Array;
  /** [M, C] prototypes (one per class), and the OOD head's bias. */
  prototypes: Float32Array;
  oodBias: number;
  scale: number;
  channels: number;
  classes: number;
}

export interface HeadTensors {
  clsW: tf.Tensor2D;
  clsB: tf.Tensor1D;
  prototypes: tf.Tensor2D;
  oodBias: tf.Tensor;
}

export function l2Rows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-6)));
}

/** OOD-head logits of position rows [N, C] (one per row). */
export function oodLogits(x: tf.Tensor2D, h: HeadTensors, scale: number): tf.Tensor1D {
  const f = l2Rows(x);
  const pp = tf.sum(tf.square(h.prototypes), 1); // [M]
  // |f - p|^2 = |f|^2 + |p|^2 - 2 f.p with |f| = 1; prototypes transposed explicitly (see plainMatMul).
  const d2 = tf.sub(tf.add(pp, 1), tf.mul(plainMatMul(f, tf.transpose(h.prototypes)), 2));
  return tf.sub<tf.Tensor1D>(h.oodBias, tf.mul(tf.min(d2, 1), scale));
}

export function clsLogits(x: tf.Tensor2D, h: HeadTensors): tf.Tensor2D {
  return tf.add<tf.Tensor2D>(plainMatMul(x, h.clsW), h.clsB);
}

export function headTensors(w: HeadWeights): HeadTensors {
  return {
    clsW: tf.tensor2d(w.clsW, [w.channels, w.classes]),
    clsB: tf.tensor1d(w.clsB),
    prototypes: tf.tensor2d(w.prototypes, [w.classes, w.channels]),
    oodBias: tf.scalar(w.oodBias),
  };
}

export class HeadVariables {
  readonly vars: { clsW: tf.Variable; clsB: tf.Variable; prototypes: tf.Variable; oodBias: tf.Variable };

  constructor(private readonly init: HeadWeights) {
    this.vars = {
      clsW: tf.variable(tf.tensor2d(init.clsW, [init.channels, init.classes]), true, 'head/clsW'),
      clsB: tf.variable(tf.tensor1d(init.clsB), true, 'head/clsB'),
      prototypes: tf.variable(tf.tensor2d(init.prototypes, [init.classes, init.channels]), true, 'head/prototypes'),
      oodBias: tf.variable(tf.scalar(init.oodBias), true, 'head/oodBias'),
    };
  }

  tensors(): HeadTensors {
    const v = this.vars;
    return {
      clsW: v.clsW as tf.Tensor2D,
      clsB: v.clsB as tf.Tensor1D,
      prototypes: v.prototypes as tf.Tensor2D,
      oodBias: v.oodBias,
    };
  }

  weights(): HeadWeights {
    const read = (v: tf.Variable): Float32Array => Float32Array.from(v.dataSync() as Float32Array);
    return {
      ...this.init,
      clsW: read(this.vars.clsW),
      clsB: read(this.vars.clsB),
      prototypes: read(this.vars.prototypes),
      oodBias: this.vars.oodBias.dataSync()[0]!,
    };
  }

  dispose(): void {
    tf.dispose(Object.values(this.vars));
  }
}

/** Initial heads: a zero CLS head and each class's prototype at the mean of its images' normalised pooled
 * features (`pooled` [n, C], `labels` class or -1), bias so that a position at a prototype starts near p = 0.88. */
export function initialHeads(
  pooled: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  scale: number,
): HeadWeights {
  const c = pooled.length / labels.length;
  const prototypes = new Float32Array(classes * c);
  const count = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    let norm = 0;
    for (let j = 0; j < c; j++) norm += pooled[i * c + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < c; j++) prototypes[y * c + j]! += pooled[i * c + j]! / norm;
    count[y]!++;
  }
  for (let y = 0; y < classes; y++) for (let j = 0; j < c; j++) prototypes[y * c + j]! /= Math.max(1, count[y]!);
  return {
    clsW: new Float32Array(c * classes),
    clsB: new Float32Array(classes),
    prototypes,
    oodBias: 2,
    scale,
    channels: c,
    classes,
  };
}
