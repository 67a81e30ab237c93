// SSOD's sampler for one epoch of adapt mode, outside the gradient: the CLS head's own-class softmax at every
// position of every view picks ID (c >= gamma) and OOD (c <= 1 - gamma) positions with the weights at the start
// of the epoch (a stop-gradient by construction; the loss gets the result as plain weight tensors, since wasm
// cannot differentiate a gather). Background positions are clustered so that each kind of background weighs the
// same in the OOD term, and gamma is lowered when too few positions pass.
import * as tf from '@tensorflow/tfjs';
import { OOD_LABEL } from '../types.js';
import { PositionSample, spreadRatio } from '../ssod/background-spread.js';
import { normals } from '../ssod/rng.js';
import { ownClassConfidence, sampleMasks, samplingStats, selectPositions } from '../ssod/sampling.js';
import { clsLogits, l2Rows, type HeadTensors } from './adapt-heads.js';
import { assignClusters, kMeans } from './kmeans.js';

/** Dimensions background positions are projected to for clustering and the spread diagnostic. */
export const PROJECTION_DIMS = 32;
const KMEANS_ROWS = 3000;

export interface PositionFeatures {
  /** Own-class confidence per position [views * positions]. */
  confidence: Float32Array;
  /** L2-normalised positions randomly projected to PROJECTION_DIMS [views * positions, PROJECTION_DIMS]. */
  projected: Float32Array;
}

/** A fixed random projection [C, PROJECTION_DIMS] (Johnson-Lindenstrauss: distances roughly kept). */
export function projection(channels: number, rng: () => number): tf.Tensor2D {
  return tf.tensor2d(normals(channels * PROJECTION_DIMS, 1 / Math.sqrt(PROJECTION_DIMS), rng), [
    channels,
    PROJECTION_DIMS,
  ]);
}

/** Confidences and projections of one chunk's adapted maps [n, h, w, C]. */
export function readPositions(
  maps: tf.Tensor4D,
  labels: ArrayLike<number>,
  heads: HeadTensors,
  project: tf.Tensor2D,
): PositionFeatures {
  const [n, h, w, c] = maps.shape;
  const classes = heads.clsB.shape[0];
  const [probs, proj] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
    const x = tf.reshape<tf.Rank.R2>(maps, [n * h * w, c]);
    return [tf.softmax(clsLogits(x, heads)), tf.matMul(l2Rows(x), project)];
  });
  try {
    return {
      confidence: ownClassConfidence(probs.dataSync() as Float32Array, labels, h * w, classes),
      projected: proj.dataSync() as Float32Array,
    };
  } finally {
    tf.dispose([probs, proj]);
  }
}

export interface SamplingOptions {
  gamma: number;
  minGamma: number;
  minShare: number;
  cap: number;
  clusters: number;
  seed: number;
}

export interface EpochSampling {
  gamma: number;
  /** Per position: 1 = ID target, 0 = OOD target, -1 = not in the loss. */
  target: Int8Array;
  /** Relative weight of each OOD position (1 / its cluster's size; 1 without balancing). */
  oodWeight: Float32Array;
  stats: SamplingReport;
}

export interface SamplingReport {
  gamma: number;
  idShare: number;
  oodShare: number;
  /** Background spread over foreground spread (projected positions); undefined with too few of either. */
  spreadRatio?: number;
  /** Share of sampled background positions in the largest cluster. */
  dominantClusterShare?: number;
  clusters: number;
}

/** Lowers gamma in steps of 0.05 (not below minGamma) while either side has fewer than minShare of positions. */
function adaptGamma(confidence: Float32Array, labels: ArrayLike<number>, positions: number, o: SamplingOptions) {
  let gamma = o.gamma;
  let masks = sampleMasks(confidence, gamma);
  let stats = samplingStats(masks, labels, positions);
  while (gamma - 0.05 >= o.minGamma - 1e-9 && (stats.idShare < o.minShare || stats.oodShare < o.minShare)) {
    gamma = Math.round((gamma - 0.05) * 100) / 100;
    masks = sampleMasks(confidence, gamma);
    stats = samplingStats(masks, labels, positions);
  }
  return { gamma, masks, stats };
}

function clusterWeights(projected: Float32Array, ood: Int32Array, o: SamplingOptions) {
  const d = PROJECTION_DIMS;
  const rows = new Float32Array(ood.length * d);
  ood.forEach((f, k) => rows.set(projected.subarray(f * d, (f + 1) * d), k * d));
  const step = Math.max(1, Math.floor(ood.length / KMEANS_ROWS));
  const sample = new Float32Array(Math.ceil(ood.length / step) * d);
  let s = 0;
  for (let k = 0; k < ood.length; k += step) sample.set(rows.subarray(k * d, (k + 1) * d), s++ * d);
  const centroids = kMeans(sample.subarray(0, s * d), d, o.clusters, o.seed);
  const assign = assignClusters(rows, d, centroids);
  const size = new Float64Array(centroids.length / d);
  for (const a of assign) size[a]!++;
  return { assign, size };
}

export function sampleEpoch(
  features: PositionFeatures,
  labels: ArrayLike<number>,
  positions: number,
  o: SamplingOptions,
  rng: () => number,
): EpochSampling {
  const { gamma, masks, stats } = adaptGamma(features.confidence, labels, positions, o);
  const picked = selectPositions(masks, labels, positions, o.cap, rng);
  const target = new Int8Array(features.confidence.length).fill(-1);
  for (const f of picked.id) target[f] = 1;
  for (const f of picked.ood) target[f] = 0;
  const oodWeight = new Float32Array(target.length).fill(1);
  const report: SamplingReport = { gamma, idShare: stats.idShare, oodShare: stats.oodShare, clusters: 1 };
  const idSample = new PositionSample(PROJECTION_DIMS);
  const bgSample = new PositionSample(PROJECTION_DIMS);
  const isId = (f: number): boolean => labels[Math.floor(f / positions)] !== OOD_LABEL;
  idSample.add(features.projected, picked.id);
  bgSample.add(features.projected, picked.ood, isId);
  const ratio = spreadRatio(idSample, bgSample);
  if (ratio !== undefined) report.spreadRatio = ratio;
  if (picked.ood.length > 0 && o.clusters > 1) {
    const { assign, size } = clusterWeights(features.projected, picked.ood, o);
    picked.ood.forEach((f, k) => (oodWeight[f] = 1 / size[assign[k]!]!));
    report.clusters = size.filter((v) => v > 0).length;
    report.dominantClusterShare = Math.max(...size) / picked.ood.length;
  }
  return { gamma, target, oodWeight, stats: report };
}

/** Loss targets and weights of a batch's positions (flat indices `flat` into the epoch's arrays): the ID group's
 * weights sum to alpha, and the OOD group's too (balanced by cluster when oodWeight says so). */
export function batchWeights(
  sampling: EpochSampling,
  flat: ArrayLike<number>,
  alpha: number,
): { targets: Float32Array; weights: Float32Array } {
  const targets = new Float32Array(flat.length);
  const weights = new Float32Array(flat.length);
  let nId = 0;
  let oodSum = 0;
  for (let k = 0; k < flat.length; k++) {
    const t = sampling.target[flat[k]!]!;
    if (t === 1) nId++;
    else if (t === 0) oodSum += sampling.oodWeight[flat[k]!]!;
  }
  for (let k = 0; k < flat.length; k++) {
    const f = flat[k]!;
    const t = sampling.target[f]!;
    if (t === 1) {
      targets[k] = 1;
      weights[k] = alpha / nId;
    } else if (t === 0) weights[k] = (alpha * sampling.oodWeight[f]!) / oodSum;
  }
  return { targets, weights };
}
