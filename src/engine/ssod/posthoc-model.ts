// What the post-hoc rivals need from a model's training rows, fitted beside its Gaussians, and how they score.
import type { GaussianModel, ScatterStats } from './scorers.js';
import { gaussianScores, knnScores, l2NormaliseRows } from './scorers.js';
import {
  backgroundGaussian,
  fdbdScores,
  genScores,
  rawLinearHead,
  rmdsScores,
  scatterMean,
  type LinearHead,
} from './posthoc.js';
import { fitVim, vimScores, type VimModel } from './vim.js';
import { lap, now } from './profile.js';

export interface PosthocModel {
  /** One class-agnostic Gaussian on the pooled feature (RMDS). */
  background: GaussianModel;
  /** Mean pooled feature of the training ID rows (fDBD). */
  trainMean: Float32Array;
  vim: VimModel;
  /** L2-normalised pooled sampling maps of the training ID rows, [n, mapC'] (KNN on the map). */
  knnMapRefs: Float32Array;
}

/** Rows ViM's alpha is estimated on: a mean over this many is as good as over all. */
const ALPHA_SAMPLE = 1000;

export interface PosthocInputs {
  arrays: Record<string, Float32Array>;
  pooledStats: { mean: Float32Array; std: Float32Array };
  classes: number;
  pooledC: number;
  /** Scatter statistics of the model's ID training rows' pooled features. */
  scatter: ScatterStats;
  /** The model's ID training rows: raw pooled features [n, pooledC] and pooled sampling maps [n, d]. */
  pooled: Float32Array;
  gbar: Float32Array;
  /** Width of a pooled sampling map row. */
  mapD: number;
  shrinkage: number;
  /** The run's shared ViM basis to start from (vimStartBasis); absent = a random start. */
  vimStart?: Float32Array;
}

/** The linear classifier MSP and Energy read, as a map of the raw pooled feature. */
export function baselineHead(
  m: { arrays: Record<string, Float32Array>; pooledStats: { mean: Float32Array; std: Float32Array } },
  pooledC: number,
  classes: number,
): LinearHead {
  return rawLinearHead(m.arrays.baseW!, m.arrays.baseB!, m.pooledStats, pooledC, classes);
}

export function fitPosthoc(p: PosthocInputs): PosthocModel {
  const n = p.pooled.length / p.pooledC;
  const stride = Math.max(1, Math.floor(n / ALPHA_SAMPLE));
  const take: number[] = [];
  for (let i = 0; i < n && take.length < ALPHA_SAMPLE; i += stride) take.push(i);
  const sample = new Float32Array(take.length * p.pooledC);
  take.forEach((r, i) => sample.set(p.pooled.subarray(r * p.pooledC, (r + 1) * p.pooledC), i * p.pooledC));
  let t = now();
  const background = backgroundGaussian(p.scatter, p.shrinkage);
  t = lap('post-hoc fit: background gaussian', t);
  const vim = fitVim(baselineHead(p, p.pooledC, p.classes), p.scatter, sample, p.vimStart);
  lap('post-hoc fit: vim', t);
  return {
    background,
    trainMean: scatterMean(p.scatter),
    vim,
    knnMapRefs: l2NormaliseRows(Float32Array.from(p.gbar), p.mapD),
  };
}

export interface PosthocForward {
  /** Baseline classifier logits [n, m] (as MSP reads them). */
  base: Float32Array;
  /** Raw pooled features [n, pooledC]. */
  pooled: Float32Array;
  /** Pooled sampling maps [n, d]. */
  gbar: Float32Array;
}

/** The post-hoc rivals' OOD scores; `mahalanobis` is the class-conditional distance already computed. */
export function posthocScores(
  model: { arrays: Record<string, Float32Array>; pooledStats: { mean: Float32Array; std: Float32Array } },
  ph: PosthocModel,
  f: PosthocForward,
  dims: { classes: number; pooledC: number; mapD: number; knnK: number },
  mahalanobis: Float32Array,
): Record<string, Float32Array> {
  const { classes: m, pooledC } = dims;
  const n = f.base.length / m;
  const head = baselineHead(model, pooledC, m);
  let t = now();
  const gen = genScores(f.base, n, m);
  const fdbd = fdbdScores(head, f.pooled, f.base, ph.trainMean);
  t = lap('post-hoc score: gen + fdbd', t);
  const vim = vimScores(ph.vim, f.pooled, f.base, m);
  t = lap('post-hoc score: vim', t);
  const rmds = rmdsScores(mahalanobis, gaussianScores(ph.background, f.pooled));
  t = lap('post-hoc score: rmds', t);
  const knnMap = knnScores(ph.knnMapRefs, l2NormaliseRows(Float32Array.from(f.gbar), dims.mapD), dims.mapD, dims.knnK);
  lap('post-hoc score: knn-map', t);
  return { gen, fdbd, vim, rmds, 'knn-map': knnMap };
}
