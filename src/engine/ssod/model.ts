// A trained model as the scorer needs it: head weights, input statistics, the Gaussian models, the KNN
// references and the scales the fused score uses. Packs to SavedHeads (JSON spec + one float32 buffer).
import type { FeatureLayout, HeadsConfig, SavedHeads } from '../types.js';
import type { Variant } from './config.js';
import type { HeadShapes, InputStats } from './heads.js';
import type { GaussianModel, RobustScale } from './scorers.js';
import type { PosthocModel } from './posthoc-model.js';

export interface HeadsModel {
  classes: string[];
  layout: FeatureLayout;
  config: HeadsConfig;
  variant: Variant;
  shapes: HeadShapes;
  arrays: Record<string, Float32Array>;
  mapStats: InputStats;
  pooledStats: InputStats;
  /** Density on pooled neck features (SSOD's second estimate of P(x in ID | x)). */
  density: GaussianModel;
  /** Mahalanobis baseline on the pooled backbone feature. */
  mahalanobis: GaussianModel;
  /** L2-normalised pooled features of the training ID images, [n, pooledC]. */
  knnRefs: Float32Array;
  /** Robust scales of held-out ID scores per scorer, for fusion. */
  scales: Record<string, RobustScale>;
  /** Which estimate `ssod` reports. */
  ssodScore: Variant['ssodScore'];
  /** The post-hoc rivals' statistics (RMDS, ViM, fDBD, KNN on the map); absent in models saved before them. */
  posthoc?: PosthocModel;
  /** Per scorer, the sorted held-out ID scores (out of fold): the scale of the calibrated scores. */
  calibration?: Record<string, Float32Array>;
}

type Entry = { offset: number; length: number };

export function toSavedHeads(m: HeadsModel): SavedHeads {
  const parts: [string, Float32Array][] = [
    ...Object.entries(m.arrays).map(([k, a]): [string, Float32Array] => [`head.${k}`, a]),
    ['mapStats.mean', m.mapStats.mean],
    ['mapStats.std', m.mapStats.std],
    ['pooledStats.mean', m.pooledStats.mean],
    ['pooledStats.std', m.pooledStats.std],
    ['density.means', m.density.means],
    ['density.whiten', m.density.whiten],
    ['mahalanobis.means', m.mahalanobis.means],
    ['mahalanobis.whiten', m.mahalanobis.whiten],
    ['knnRefs', m.knnRefs],
    ...posthocParts(m.posthoc),
    ...Object.entries(m.calibration ?? {}).map(([k, a]): [string, Float32Array] => [`calibration.${k}`, a]),
  ];
  const entries: Record<string, Entry> = {};
  let offset = 0;
  for (const [k, a] of parts) {
    entries[k] = { offset, length: a.length };
    offset += a.length;
  }
  const weights = new Float32Array(offset);
  for (const [k, a] of parts) weights.set(a, entries[k]!.offset);
  return {
    format: 'ssod-heads/1',
    classes: m.classes,
    layout: m.layout,
    config: m.config,
    spec: {
      variant: m.variant,
      shapes: m.shapes,
      entries,
      density: { d: m.density.d, classes: m.density.classes },
      mahalanobis: { d: m.mahalanobis.d, classes: m.mahalanobis.classes },
      scales: m.scales,
      ssodScore: m.ssodScore,
      ...(m.posthoc
        ? {
            posthoc: {
              background: { d: m.posthoc.background.d, classes: m.posthoc.background.classes },
              vim: { d: m.posthoc.vim.d, D: m.posthoc.vim.D, alpha: m.posthoc.vim.alpha },
            },
          }
        : {}),
    },
    weights,
  };
}

export function fromSavedHeads(s: SavedHeads): HeadsModel {
  if (s.format !== 'ssod-heads/1') throw new Error(`unknown heads format ${String(s.format)}`);
  const spec = s.spec as {
    variant: Variant;
    shapes: HeadShapes;
    entries: Record<string, Entry>;
    density: { d: number; classes: number };
    mahalanobis: { d: number; classes: number };
    scales: Record<string, RobustScale>;
    ssodScore: Variant['ssodScore'];
    posthoc?: { background: { d: number; classes: number }; vim: { d: number; D: number; alpha: number } };
  };
  const get = (k: string): Float32Array => {
    const e = spec.entries[k];
    if (!e || e.offset + e.length > s.weights.length) throw new Error(`heads weights lack ${k}`);
    return s.weights.slice(e.offset, e.offset + e.length);
  };
  const arrays: Record<string, Float32Array> = {};
  for (const k of Object.keys(spec.entries)) if (k.startsWith('head.')) arrays[k.slice(5)] = get(k);
  const calibration: Record<string, Float32Array> = {};
  for (const k of Object.keys(spec.entries)) if (k.startsWith('calibration.')) calibration[k.slice(12)] = get(k);
  const ph = spec.posthoc;
  return {
    classes: s.classes,
    layout: s.layout,
    config: s.config,
    variant: spec.variant,
    shapes: spec.shapes,
    arrays,
    mapStats: { mean: get('mapStats.mean'), std: get('mapStats.std') },
    pooledStats: { mean: get('pooledStats.mean'), std: get('pooledStats.std') },
    density: { ...spec.density, means: get('density.means'), whiten: get('density.whiten') },
    mahalanobis: { ...spec.mahalanobis, means: get('mahalanobis.means'), whiten: get('mahalanobis.whiten') },
    knnRefs: get('knnRefs'),
    scales: spec.scales,
    ssodScore: spec.ssodScore,
    ...(ph
      ? {
          posthoc: {
            background: {
              ...ph.background,
              means: get('posthoc.background.means'),
              whiten: get('posthoc.background.whiten'),
            },
            trainMean: get('posthoc.trainMean'),
            vim: { ...ph.vim, origin: get('posthoc.vim.origin'), principal: get('posthoc.vim.principal') },
            knnMapRefs: get('posthoc.knnMapRefs'),
          },
        }
      : {}),
    ...(Object.keys(calibration).length > 0 ? { calibration } : {}),
  };
}

function posthocParts(p: PosthocModel | undefined): [string, Float32Array][] {
  if (!p) return [];
  return [
    ['posthoc.background.means', p.background.means],
    ['posthoc.background.whiten', p.background.whiten],
    ['posthoc.trainMean', p.trainMean],
    ['posthoc.vim.origin', p.vim.origin],
    ['posthoc.vim.principal', p.vim.principal],
    ['posthoc.knnMapRefs', p.knnMapRefs],
  ];
}

/** JSON text plus the raw weights: the engine host writes both (temp then rename). */
export function serializeHeads(s: SavedHeads): { json: string; weights: Uint8Array } {
  const { weights, ...rest } = s;
  return {
    json: JSON.stringify(rest),
    weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
  };
}

export function deserializeHeads(json: string, weights: Uint8Array): SavedHeads {
  const meta = JSON.parse(json) as Omit<SavedHeads, 'weights'>;
  if (weights.byteLength % 4 !== 0) throw new Error('heads weights are not float32');
  const copy = new Float32Array(weights.byteLength / 4);
  new Uint8Array(copy.buffer).set(weights);
  return { ...meta, weights: copy };
}
