// A fixed projection of the adapted map's channels onto their dominant subspace, fitted once per adapted top.
// The heads, the density and the map's KNN cost in proportion to positions × channels (and the Gaussians in
// channels²): 4×4×1280 adapted maps made a retrain after review cost a minute where a heads retrain costs seconds.
// The top k directions of the positions' second moment (uncentred, so the mean direction and cosine distances
// survive) keep almost all of the map's energy, and every later retrain reads k channels instead of 1280.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import { principalSubspace } from '../ssod/vim.js';

/** Directions [c, k] (row-major, orthonormal columns): a position x [c] becomes x · dirs [k]. */
export interface MapProjection {
  c: number;
  k: number;
  dirs: Float32Array;
  /** Share of the fitting positions' energy (sum of squares) the k directions keep. */
  energyKept: number;
}

/** Subspace iterations: the spectrum of ReLU6 maps falls fast, so a few passes settle the dominant subspace. */
const ITERATIONS = 8;
/** Positions multiplied at once when accumulating the second moment (bounds the tensors' size). */
const CHUNK_ROWS = 4096;

/** XᵀX / rows of positions x [rows, c], accumulated in chunks on the backend (explicit transposes: wasm's
 * transposed matMul is several times slower than the plain product). */
function secondMoment(x: Float32Array, rows: number, c: number): Float64Array {
  let acc: tf.Tensor2D = tf.zeros([c, c]);
  for (let at = 0; at < rows; at += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows - at);
    const next = tf.tidy(() => {
      const part = tf.tensor2d(x.subarray(at * c, (at + n) * c), [n, c]);
      return tf.add<tf.Tensor2D>(acc, tf.matMul(tf.transpose(part), part));
    });
    acc.dispose();
    acc = next;
  }
  const m = Float64Array.from(acc.dataSync(), (v) => v / Math.max(1, rows));
  acc.dispose();
  return m;
}

/** Share of trace(M) that the orthonormal columns q [c, k] capture: trace(qᵀ M q) / trace(M). */
function energyShare(m: Float64Array, q: Float32Array, c: number, k: number): number {
  let total = 0;
  for (let i = 0; i < c; i++) total += m[i * c + i]!;
  if (!(total > 0)) return 1;
  const kept = tf.tidy(() => {
    const qt = tf.tensor2d(q, [c, k]);
    const mq = tf.matMul(tf.tensor2d(Float32Array.from(m), [c, c]), qt);
    return tf.sum(tf.mul(qt, mq)).dataSync()[0] ?? 0;
  });
  return Math.min(1, Math.max(0, kept / total));
}

/** The k dominant directions of the positions x [rows, c] (k < c; deterministic). */
export function fitMapProjection(x: Float32Array, rows: number, c: number, k: number): MapProjection {
  if (!(Number.isInteger(k) && k >= 1 && k < c))
    throw new AppError('invalid-argument', `adapt: mapChannels must be from 1 to ${c - 1}, got ${k}`);
  if (x.length !== rows * c) throw new AppError('invalid-argument', `adapt: ${x.length} values are not ${rows} × ${c}`);
  if (rows < k) throw new AppError('invalid-argument', `adapt: ${rows} positions cannot fit ${k} directions`);
  const m = secondMoment(x, rows, c);
  const dirs = principalSubspace(m, c, k, ITERATIONS);
  return { c, k, dirs, energyKept: energyShare(m, dirs, c, k) };
}

/** Positions x [rows, c] as tensors in the projection's k coordinates ([rows, k]). */
export function projectPositions(x: tf.Tensor2D, projection: Pick<MapProjection, 'c' | 'k' | 'dirs'>): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(x, tf.tensor2d(projection.dirs, [projection.c, projection.k])));
}
