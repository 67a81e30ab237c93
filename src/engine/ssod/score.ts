// Scores rows with a trained model: every scorer side by side, the predicted class, and the heatmap (per-position
// ID probability of the OOD head). Streams features in batches so memory stays flat.
import * as tf from '@tensorflow/tfjs';
import type { FeatureStore, ImageScore } from '../types.js';
import { AppError } from '../../shared/errors.js';
import { baseLogits, clsLogits, neck, oodLogits, prepare, shapeOf } from './heads.js';
import type { HeadsModel } from './model.js';
import { lap, now } from './profile.js';
import { fuseScores, gaussianScores, knnScores, l2NormaliseRows, logitScores } from './scorers.js';
import { posthocScores } from './posthoc-model.js';
import { calibrateAll } from './calibrate.js';

/** Every score a run stores, all OOD scores (higher = more out-of-distribution). `ssod` is the default SSOD score
 * (one of the three SSOD estimates after it, chosen on validation); the rest are post-hoc scorers on the same
 * features, each under its own name. */
export const SCORERS = [
  'ssod',
  'ssod-head',
  'ssod-density',
  'ssod-fused',
  'msp',
  'maxlogit',
  'energy',
  'gen',
  'knn',
  'knn-map',
  'mahalanobis',
  'rmds',
  'vim',
  'fdbd',
] as const;

/** The SSOD estimates `ssod` may report, by the variant name that selects each. */
export const SSOD_ESTIMATES = { head: 'ssod-head', density: 'ssod-density', fused: 'ssod-fused' } as const;

/** Raw per-scorer OOD scores and the per-image extras for a batch of rows. */
export interface RawScores {
  scores: Record<string, Float32Array>;
  predicted: Int32Array;
  top: [number, number][][];
  heatmaps: Float32Array;
}

const sigmoidOod = (logit: number): number => 1 / (1 + Math.exp(logit)); // 1 - p_id, exact for large logits

/** What one forward pass of the heads gives per row, before the distance scorers. */
export interface Forward {
  head: Float32Array;
  /** Pooled neck features [n, d]. */
  gbar: Float32Array;
  /** Baseline classifier logits [n, m]. */
  base: Float32Array;
  pooled: Float32Array;
  predicted: Int32Array;
  top: [number, number][][];
  heatmaps: Float32Array;
}

export async function forwardRows(
  model: Pick<HeadsModel, 'layout' | 'classes' | 'variant' | 'arrays' | 'shapes' | 'mapStats' | 'pooledStats'>,
  store: FeatureStore,
  rows: readonly number[],
  batchSize = 256,
  signal?: AbortSignal,
): Promise<Forward> {
  const { mapH, mapW, mapC, pooledC } = model.layout;
  const l = store.layout;
  if (l.mapH !== mapH || l.mapW !== mapW || l.mapC !== mapC || l.pooledC !== pooledC)
    throw new Error(`feature layout ${JSON.stringify(l)} differs from the model's ${JSON.stringify(model.layout)}`);
  const P = mapH * mapW;
  const n = rows.length;
  const m = model.classes.length;
  const v = model.variant;
  const head = new Float32Array(n);
  const gbarAll = new Float32Array(n * model.shapes.d);
  const base = new Float32Array(n * m);
  const pooledAll = new Float32Array(n * pooledC);
  const predicted = new Int32Array(n);
  const top: [number, number][][] = [];
  const heatmaps = new Float32Array(n * P);
  const p: Record<string, tf.Tensor> = {};
  for (const [k, a] of Object.entries(model.arrays))
    p[k] = tf.tensor(a, shapeOf(k, model.shapes, model.layout.pooledC));
  try {
    for (let s = 0; s < n; s += batchSize) {
      if (signal?.aborted) throw new AppError('cancelled', 'scoring was cancelled');
      const chunk = rows.slice(s, s + batchSize);
      const b = chunk.length;
      const maps = await store.maps(chunk);
      const pooled = await store.pooled(chunk);
      pooledAll.set(pooled, s * pooledC);
      const out = tf.tidy(() => {
        const x = prepare(tf.tensor2d(maps, [b * P, mapC]), model.mapStats, v);
        const xbar = tf.mean<tf.Tensor2D>(x.reshape([b, P, mapC]), 1);
        const posLogits = oodLogits(neck(x, p, v), p, v).reshape([b, P]);
        const gbar = neck(xbar, p, v);
        const imgLogit =
          v.pooling === 'gap'
            ? oodLogits(gbar, p, v)
            : v.pooling === 'mean'
              ? tf.mean(posLogits, 1)
              : tf.min(posLogits, 1);
        return [
          tf.sigmoid(posLogits),
          imgLogit,
          gbar,
          tf.softmax(clsLogits(gbar, p, v)),
          baseLogits(tf.tensor2d(pooled, [b, pooledC]), model.pooledStats, p),
        ];
      });
      const [heat, logit, gbar, probs, bl] = out.map((t) => t.dataSync() as Float32Array);
      tf.dispose(out);
      heatmaps.set(heat!, s * P);
      gbarAll.set(gbar!, s * model.shapes.d);
      base.set(bl!, s * m);
      for (let i = 0; i < b; i++) {
        head[s + i] = sigmoidOod(logit![i]!);
        const pr = Array.from(probs!.subarray(i * m, (i + 1) * m), (q, k): [number, number] => [k, q]);
        pr.sort((x, y) => y[1] - x[1]);
        predicted[s + i] = pr[0]![0];
        top.push(pr.slice(0, 5));
      }
    }
  } finally {
    tf.dispose(Object.values(p));
  }
  return { head, gbar: gbarAll, base, pooled: pooledAll, predicted, top, heatmaps };
}

export async function scoreRaw(
  model: HeadsModel,
  store: FeatureStore,
  rows: readonly number[],
  batchSize = 256,
  signal?: AbortSignal,
): Promise<RawScores> {
  let t = now();
  const f = await forwardRows(model, store, rows, batchSize, signal);
  t = lap('score: forward', t);
  const scores = scoresOf(model, f);
  lap('score: scorers', t);
  return { scores, predicted: f.predicted, top: f.top, heatmaps: f.heatmaps };
}

export function scoresOf(model: HeadsModel, f: Forward): Record<string, Float32Array> {
  const m = model.classes.length;
  const n = f.head.length;
  const pooledC = model.layout.pooledC;
  const v = model.variant;
  let t = now();
  const logits = logitScores(f.base, n, m);
  const scores: Record<string, Float32Array> = {
    'ssod-head': f.head,
    'ssod-density': gaussianScores(model.density, f.gbar),
  };
  t = lap('scorers: density', t);
  Object.assign(scores, {
    msp: logits.msp,
    maxlogit: logits.maxlogit,
    energy: logits.energy,
    knn: knnScores(model.knnRefs, l2NormaliseRows(Float32Array.from(f.pooled), pooledC), pooledC, v.knnK),
  });
  t = lap('scorers: knn', t);
  scores.mahalanobis = gaussianScores(model.mahalanobis, f.pooled);
  t = lap('scorers: mahalanobis', t);
  if (model.posthoc) {
    const dims = { classes: m, pooledC, mapD: model.shapes.d, knnK: v.knnK };
    Object.assign(scores, posthocScores(model, model.posthoc, f, dims, scores.mahalanobis));
    lap('scorers: post-hoc rivals', t);
  }
  scores['ssod-fused'] = fuseScores([scaled(model, scores, 'ssod-head'), scaled(model, scores, 'ssod-density')]);
  scores.ssod = ssodOf(model, scores);
  return scores;
}

/** The scores the fused `ssod` variants combine: all a model's fusion scales are needed for. */
export const FUSION_INPUTS = ['ssod-head', 'ssod-density', 'mahalanobis'] as const;

export function fusionInputScores(model: HeadsModel, f: Forward): Record<string, Float32Array> {
  return {
    'ssod-head': f.head,
    'ssod-density': gaussianScores(model.density, f.gbar),
    mahalanobis: gaussianScores(model.mahalanobis, f.pooled),
  };
}

/** The `ssod` score the variant names; the fusions need the held-out ID scales (absent while fitting them). */
function scaled(
  model: Pick<HeadsModel, 'scales'>,
  scores: Record<string, Float32Array>,
  k: string,
): { scores: Float32Array; scale: { median: number; iqr: number } } {
  return { scores: scores[k]!, scale: model.scales[k] ?? { median: 0, iqr: 1 } };
}

export function ssodOf(model: HeadsModel, scores: Record<string, Float32Array>): Float32Array {
  const part = (k: string): ReturnType<typeof scaled> => scaled(model, scores, k);
  switch (model.ssodScore) {
    case 'head':
      return scores['ssod-head']!;
    case 'density':
      return scores['ssod-density']!;
    case 'fused':
      return fuseScores([part('ssod-head'), part('ssod-density')]);
    case 'fused-mahalanobis':
      return fuseScores([part('ssod-head'), part('ssod-density'), part('mahalanobis')]);
  }
}

export function toImageScores(
  rows: readonly number[],
  raw: RawScores,
  P: number,
  calibration?: Record<string, Float32Array>,
): ImageScore[] {
  return rows.map((row, i) => {
    const scores: Record<string, number> = {};
    for (const [k, a] of Object.entries(raw.scores)) scores[k] = a[i]!;
    return {
      row,
      predicted: raw.predicted[i]!,
      top: raw.top[i]!,
      scores,
      calibrated: calibrateAll(calibration, scores),
      heatmap: Array.from(raw.heatmaps.subarray(i * P, (i + 1) * P)),
    };
  });
}
