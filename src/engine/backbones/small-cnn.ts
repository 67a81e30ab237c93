// A small CNN built in code for small images (28x28 digits, 32x32 icons): no download, and trainable end to
// end where the backend can compute convolution gradients (native TensorFlow). Frozen with random weights it
// is a weak feature extractor; it exists for end-to-end mode.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { Backbone, BackendChoice, PreprocessSpec } from '../types.js';
import { assertEndToEndAllowed } from './end-to-end-policy.js';

export { assertEndToEndAllowed };

export interface SmallCnnOptions {
  inputSize: number;
  /** Channels of the three 3x3 convolutions (strides 1, 2, 2). */
  widths?: [number, number, number];
  seed?: number;
}

export const SMALL_CNN_MAP_LAYER = 'map';

export function smallCnnPreprocess(size: number): PreprocessSpec {
  return { size, fit: 'squash', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: 3 };
}

/** Input size for small images: the data's own side, rounded up to a multiple of 4 (two stride-2 convs). */
export function smallCnnInputSize(medianSide: number): number {
  const side = Number.isFinite(medianSide) && medianSide > 0 ? medianSide : 32;
  return Math.min(64, Math.max(16, Math.ceil(side / 4) * 4));
}

export function buildSmallCnn(options: SmallCnnOptions): tf.LayersModel {
  const { inputSize, widths = [16, 32, 64], seed = 1 } = options;
  if (!Number.isInteger(inputSize) || inputSize < 8 || inputSize > 256) {
    throw new AppError('invalid-argument', `small-cnn input size must be an integer from 8 to 256, got ${inputSize}`);
  }
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  widths.forEach((filters, i) => {
    x = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        strides: i === 0 ? 1 : 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
        name: i === widths.length - 1 ? SMALL_CNN_MAP_LAYER : `conv${i + 1}`,
      })
      .apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x, name: 'small_cnn' });
}

/** A Backbone over a small-cnn model (frozen use: map = last conv, pooled = its GAP). */
export function smallCnnBackbone(model: tf.LayersModel, seed: number, fit: PreprocessSpec['fit'] = 'squash'): Backbone {
  const [, size, ,] = model.inputs[0]?.shape ?? [];
  const [, mapH, mapW, mapC] = model.outputs[0]?.shape ?? [];
  if (typeof size !== 'number' || !mapH || !mapW || !mapC) throw new Error('small-cnn model without static shapes');
  const preprocess = { ...smallCnnPreprocess(size), fit };
  return {
    key: `small-cnn:${size}:${mapC}:seed${seed}:${fit}`,
    identity: { backbone: 'small-cnn', inputSize: String(size), mapLayer: SMALL_CNN_MAP_LAYER, seed: String(seed) },
    preprocess,
    layout: { mapH, mapW, mapC, pooledC: mapC },
    async extract(pixels, n) {
      if (pixels.length !== n * size * size * 3) throw new AppError('invalid-argument', 'pixel count mismatch');
      const [map, pooled] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
        const m = model.predict(tf.tensor4d(pixels, [n, size, size, 3])) as tf.Tensor4D;
        return [m, tf.mean(m, [1, 2])];
      });
      try {
        const [maps, pooledData] = await Promise.all([map.data(), pooled.data()]);
        return { maps: maps as Float32Array, pooled: pooledData as Float32Array };
      } finally {
        tf.dispose([map, pooled]);
      }
    },
    dispose: () => model.dispose(),
  };
}

// ------------------------------------------------------------------------------------------ end to end

export interface EndToEndData {
  /** [n, size, size, 3] preprocessed. */
  pixels: Float32Array;
  /** Class index, or -1 (OOD_LABEL) for an image reviewed as out-of-distribution: it adds no classification
   * loss and every one of its positions is an OOD target (its own-class confidence is 0 by construction). */
  labels: Int32Array;
  n: number;
}

export interface EndToEndOptions {
  classes: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** SSOD sampling threshold and loss weight (alpha 0 = classification only). */
  gamma: number;
  alpha: number;
  seed: number;
  backend: BackendChoice;
  /** The backend was chosen with --backend (allows cpu). */
  forced: boolean;
  /** Awaited after every step: progress, and a chance for the caller's event loop to see a cancel. */
  onStep?: (step: number, loss: number) => void | Promise<void>;
  /** Cooperative cancel, checked before every step. */
  signal?: AbortSignal;
}

export interface EndToEndResult {
  losses: number[];
  /** CLS head [mapC, classes] + bias and OOD head [mapC, 1] + bias, row-major float32. */
  heads: { clsW: Float32Array; clsB: Float32Array; oodW: Float32Array; oodB: Float32Array };
}

/** Trains backbone + CLS head (on GAP) + per-position OOD head with the SSOD loss: CE(GAP logits, ID only) + alpha *
 * (mean BCE over positions whose own-class confidence >= gamma, target 1 + mean BCE over those <= 1 - gamma,
 * target 0). Sampling runs outside the gradient closure (a stop-gradient; also avoids gather gradients). */
export async function trainEndToEnd(
  model: tf.LayersModel,
  data: EndToEndData,
  options: EndToEndOptions,
): Promise<EndToEndResult> {
  assertEndToEndAllowed(options.backend, options.forced);
  const [, size, ,] = model.inputs[0]?.shape ?? [];
  const mapC = model.outputs[0]?.shape[3];
  if (typeof size !== 'number' || typeof mapC !== 'number') throw new Error('model without static shapes');
  const stride = size * size * 3;
  if (data.pixels.length !== data.n * stride || data.labels.length !== data.n) {
    throw new AppError('invalid-argument', 'end-to-end data does not match the model input');
  }
  const { classes, seed } = options;
  // Inside tidy so the initial values are freed once copied into the variables.
  const [clsW, clsB, oodW, oodB] = tf.tidy<tf.Variable[]>(() => [
    tf.variable(tf.randomNormal([mapC, classes], 0, 0.05, 'float32', seed), true),
    tf.variable(tf.zeros([classes]), true),
    tf.variable(tf.randomNormal([mapC, 1], 0, 0.05, 'float32', seed + 1), true),
    tf.variable(tf.zeros([1]), true),
  ]) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const varList = [...model.trainableWeights.map((w) => w.read() as tf.Variable), clsW, clsB, oodW, oodB];
  const optimizer = tf.train.adam(options.learningRate);
  const losses: number[] = [];
  try {
    for (let step = 0; step < options.steps; step++) {
      if (options.signal?.aborted) throw new AppError('cancelled', 'end-to-end training cancelled');
      // Batches cut from typed arrays (never tensor.slice: on wasm it copies the whole heap tensor).
      const start = (step * options.batchSize) % data.n;
      const count = Math.min(options.batchSize, data.n - start);
      const x = tf.tensor4d(data.pixels.subarray(start * stride, (start + count) * stride), [count, size, size, 3]);
      const yOneHot = tf.tidy(() =>
        tf.oneHot(tf.tensor1d(data.labels.subarray(start, start + count), 'int32'), classes).toFloat(),
      );
      const positionLogits = (features: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D =>
        features.reshape([-1, mapC]).matMul(w).add(b);
      const [idMask, oodMask] = tf.tidy(() => {
        const f = model.predict(x) as tf.Tensor4D;
        const positions = f.shape[1] * f.shape[2];
        const probs = tf.softmax(positionLogits(f, clsW, clsB));
        const own = probs.mul(tf.tile(yOneHot.expandDims(1), [1, positions, 1]).reshape([-1, classes])).sum(1);
        return [own.greaterEqual(options.gamma).toFloat(), own.lessEqual(1 - options.gamma).toFloat()];
      });
      const cost = optimizer.minimize(
        () =>
          tf.tidy<tf.Scalar>(() => {
            const f = model.apply(x, { training: true }) as tf.Tensor4D;
            const gapLogits = tf.mean(f, [1, 2]).matMul(clsW).add(clsB);
            // Mean over ID images only (OOD rows have an all-zero one-hot and weight 0).
            const isId = yOneHot.sum(1);
            const perImage = yOneHot.mul(tf.logSoftmax(gapLogits)).sum(1).neg();
            const ce = perImage.mul(isId).sum().div(isId.sum().maximum(1));
            const z = positionLogits(f, oodW, oodB).reshape([-1]);
            const meanOver = (mask: tf.Tensor, terms: tf.Tensor): tf.Tensor =>
              mask.mul(terms).sum().div(mask.sum().maximum(1));
            const ssod = meanOver(idMask, tf.softplus(z.neg())).add(meanOver(oodMask, tf.softplus(z)));
            return ce.add<tf.Scalar>(ssod.mul(options.alpha));
          }),
        true,
        varList,
      );
      const loss = cost ? ((await cost.data())[0] ?? NaN) : NaN;
      tf.dispose(cost ? [x, yOneHot, idMask, oodMask, cost] : [x, yOneHot, idMask, oodMask]);
      losses.push(loss);
      await options.onStep?.(step, loss);
    }
    const [cw, cb, ow, ob] = await Promise.all([clsW.data(), clsB.data(), oodW.data(), oodB.data()]);
    return {
      losses,
      heads: {
        clsW: cw as Float32Array,
        clsB: cb as Float32Array,
        oodW: ow as Float32Array,
        oodB: ob as Float32Array,
      },
    };
  } finally {
    optimizer.dispose();
    tf.dispose([clsW, clsB, oodW, oodB]);
  }
}
