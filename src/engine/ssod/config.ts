// Heads configuration: defaults chosen on the quality benchmark's validation splits (docs/benchmarks-quality.md),
// checked where it enters.
import { AppError } from '../../shared/errors.js';
import type { HeadsConfig } from '../types.js';

/** Resolved variant knobs; all recorded in the run through HeadsConfig.variant. */
export interface Variant {
  /** Width of the per-position neck (1x1 convolution); 0 = no neck (the paper's plain linear heads). */
  neck: number;
  /** 'prototype' = bounded cosine-prototype OOD head; 'linear' = the paper's 1x1 linear head. */
  oodHead: 'prototype' | 'linear';
  /** Standardise channels then L2-normalise every position before the heads. */
  inputNorm: boolean;
  /** Prototypes per class for the prototype head. */
  prototypes: number;
  /** How the image-level OOD logit is pooled: head on the pooled neck feature, mean or min of positions. */
  pooling: 'gap' | 'mean' | 'min';
  /** Which estimate is reported as `ssod`: the OOD head, the Gaussian density on neck features, or their fusion. */
  ssodScore: 'head' | 'density' | 'fused' | 'fused-mahalanobis';
  /** At most this many ID and this many OOD positions per image enter the loss. */
  cap: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  /** Covariance shrinkage towards (trace/d) I for the Gaussian scorers. */
  shrinkage: number;
  knnK: number;
  /** Below this share of background positions, the run warns and lowers gamma. */
  minOodShare: number;
  /** Large training sets double the batch (up to 8x, and while a batch's positions stay under MAX_BATCH_BYTES)
   * until an epoch has at most this many steps (0 = never): each step costs a fixed ~100 kernel launches on wasm,
   * and the validated regime (3,000 images, batch 128) has ~24 steps per epoch. */
  maxStepsPerEpoch: number;
  /** Below this ratio of background to ID position spread, the run warns that the background is all alike. */
  minBackgroundSpread: number;
  /** Epochs of a model warm-started from the previous run's same model (warm-start.ts), all SSOD epochs with
   * early stopping; 0 = always train from scratch. */
  warmEpochs: number;
  /** `patience` of a warm-started model: its start has converged already, so the first epoch that does not lower
   * the validation loss ends it (the best epoch's weights are kept either way). */
  warmPatience: number;
}

/** A doubled batch's positions stay under this size: larger typed arrays cost more to allocate and copy than the
 * steps they save (measured: batch 256 of 14x14x96 maps, 19 MB, made batch loading 2.5x slower per epoch). */
export const MAX_BATCH_BYTES = 10 * 2 ** 20;

/** The batch a model trains with: config.batchSize, doubled (at most 8x) while an epoch would exceed
 * maxStepsPerEpoch and the batch's positions (bytesPerItem each) stay under MAX_BATCH_BYTES. */
export function effectiveBatchSize(
  batchSize: number,
  fitItems: number,
  v: Pick<Variant, 'maxStepsPerEpoch'>,
  bytesPerItem = 0,
): number {
  let b = batchSize;
  if (v.maxStepsPerEpoch > 0)
    while (b < batchSize * 8 && Math.ceil(fitItems / b) > v.maxStepsPerEpoch && 2 * b * bytesPerItem <= MAX_BATCH_BYTES)
      b *= 2;
  return b;
}

/** Chosen by validation on the quality benchmark (docs/benchmarks-quality.md): the class-conditional density on
 * the pooled local map beat the neck + prototype variant and every fusion on Fashion-MNIST, and it is still the
 * estimate `ssod` reports when a project has no OOD to choose by (mean validation AUROC over the three sets: density
 * 0.855, head + density fused 0.848, head 0.437). */
export const DEFAULT_VARIANT: Variant = {
  neck: 0,
  oodHead: 'linear',
  inputNorm: false,
  prototypes: 2,
  pooling: 'gap',
  ssodScore: 'density',
  cap: 8,
  patience: 3,
  shrinkage: 0.1,
  knnK: 10,
  minOodShare: 0.02,
  maxStepsPerEpoch: 48,
  minBackgroundSpread: 0.1,
  warmEpochs: 4,
  warmPatience: 1,
};

export function defaultHeadsConfig(overrides: Partial<HeadsConfig> = {}): HeadsConfig {
  return {
    gamma: 0.95,
    alpha: 1,
    epochs: 12,
    warmupEpochs: 2,
    batchSize: 128,
    learningRate: 0.005,
    folds: 5,
    seed: 42,
    valFraction: 0.1,
    idPassRate: 0.95,
    ...overrides,
    variant: { ...(DEFAULT_VARIANT as unknown as Record<string, string | number | boolean>), ...overrides.variant },
  };
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new AppError('invalid-argument', `variant.${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  return v as T;
}

function num(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !(v >= min && v <= max))
    throw new AppError('invalid-argument', `${name} must be a number in [${min}, ${max}], got ${String(v)}`);
  return v;
}

/** Checks a config and returns its variant with defaults filled in. */
export function resolveConfig(config: HeadsConfig): Variant {
  num('gamma', config.gamma, 0.5000001, 1);
  num('alpha', config.alpha, 0, 1000);
  num('epochs', config.epochs, 1, 10_000);
  num('warmupEpochs', config.warmupEpochs, 0, config.epochs);
  num('batchSize', config.batchSize, 1, 65_536);
  num('learningRate', config.learningRate, 1e-9, 10);
  num('folds', config.folds, 2, 100);
  num('valFraction', config.valFraction, 0, 0.9);
  num('idPassRate', config.idPassRate, 0.01, 1);
  const v = { ...DEFAULT_VARIANT, ...config.variant } as Record<string, unknown>;
  return {
    neck: Math.round(num('variant.neck', v.neck, 0, 4096)),
    oodHead: oneOf('oodHead', v.oodHead, ['prototype', 'linear'] as const),
    inputNorm: Boolean(v.inputNorm),
    prototypes: Math.round(num('variant.prototypes', v.prototypes, 1, 64)),
    pooling: oneOf('pooling', v.pooling, ['gap', 'mean', 'min'] as const),
    ssodScore: oneOf('ssodScore', v.ssodScore, ['head', 'density', 'fused', 'fused-mahalanobis'] as const),
    cap: Math.round(num('variant.cap', v.cap, 1, 1_000_000)),
    patience: Math.round(num('variant.patience', v.patience, 1, 1000)),
    shrinkage: num('variant.shrinkage', v.shrinkage, 0, 1),
    knnK: Math.round(num('variant.knnK', v.knnK, 1, 1000)),
    minOodShare: num('variant.minOodShare', v.minOodShare, 0, 1),
    maxStepsPerEpoch: Math.round(num('variant.maxStepsPerEpoch', v.maxStepsPerEpoch, 0, 1_000_000)),
    minBackgroundSpread: num('variant.minBackgroundSpread', v.minBackgroundSpread, 0, 1000),
    warmEpochs: Math.round(num('variant.warmEpochs', v.warmEpochs, 0, 10_000)),
    warmPatience: Math.round(num('variant.warmPatience', v.warmPatience, 1, 1000)),
  };
}
