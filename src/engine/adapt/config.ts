// Adapt-mode configuration: the paper's loss weights and sampler, plus what the frozen-backbone experience taught
// (docs/ssod.md, "Adapt mode"). Checked where it enters: a bad value is an AppError naming the allowed range.
import { AppError } from '../../shared/errors.js';

/** Where training starts inside the top: every block from this one up trains, the blocks below stay frozen.
 * Later starts cost less per epoch (block 16 + Conv_1 is ~45% of the top's multiply-adds at 224). */
export const TRAINABLE_FROM = ['block_13', 'block_14', 'block_15', 'block_16', 'Conv_1'] as const;
export type TrainableFrom = (typeof TRAINABLE_FROM)[number];

export interface AdaptConfig {
  /** Sampling threshold: ID positions c_j >= gamma, OOD positions c_j <= 1 - gamma (paper: 0.95). */
  gamma: number;
  /** Lowest gamma the sampler may fall back to when too few positions pass. */
  minGamma: number;
  /** Below this share of background (or foreground) positions, gamma is lowered in steps of 0.05. */
  minShare: number;
  alpha: number;
  /** Epochs of the top and heads together; warm-up epochs (CLS head alone on the pretrained top) come first. */
  epochs: number;
  warmupEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Learning rate of the top's weights relative to the heads' (pretrained weights move gently). */
  topLearningRateScale: number;
  seed: number;
  /** Share of ID training images held out for early stopping. */
  valFraction: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  trainableFrom: TrainableFrom;
  /** Layer of the top whose output is the adapted map (the heads' new sampling map); pooled = its mean. */
  output: string;
  /** Share of each epoch's views that are random crops (resized back to the map's size); 0 = none. */
  cropShare: number;
  /** Smallest crop side, relative to the map's side. */
  minCropScale: number;
  /** Background clusters balanced in the OOD term (k-means over sampled OOD positions); 0 or 1 = no balancing. */
  backgroundClusters: number;
  /** At most this many ID and this many OOD positions per image enter the loss. */
  cap: number;
  /** Scale of the bounded OOD head's distance (logit = bias - scale * squared distance to the nearest prototype). */
  prototypeScale: number;
  /** Channels of the adapted map the heads read: its dominant directions, fitted once per adapted top
   * (map-projection.ts); 0 = the whole map (1280 channels at out_relu). */
  mapChannels: number;
}

export function defaultAdaptConfig(): AdaptConfig {
  return {
    gamma: 0.95,
    minGamma: 0.75,
    minShare: 0.05,
    alpha: 1,
    epochs: 6,
    warmupEpochs: 2,
    batchSize: 32,
    learningRate: 1e-3,
    topLearningRateScale: 0.1,
    seed: 1,
    valFraction: 0.15,
    patience: 2,
    trainableFrom: 'block_16',
    output: 'out_relu',
    // Measured on held-out data: crops of the cached map lowered OOD AUROC (docs/ssod.md, "Adapt mode: measured").
    cropShare: 0,
    minCropScale: 0.5,
    backgroundClusters: 8,
    cap: 64,
    prototypeScale: 8,
    // Measured on held-out data (docs/ssod.md, "A retrain on an adapted top"): the same ID accuracy and AUROC as
    // the full map within noise, at a fraction of every retrain's cost.
    mapChannels: 128,
  };
}

function range(name: string, v: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v)))
    throw new AppError(
      'invalid-argument',
      `adapt: ${name} must be ${integer ? 'an integer ' : ''}from ${lo} to ${hi}, got ${String(v)}`,
    );
}

export function resolveAdaptConfig(overrides: Partial<AdaptConfig> = {}): AdaptConfig {
  const c = { ...defaultAdaptConfig(), ...overrides };
  if (!(c.gamma > 0.5 && c.gamma <= 1)) throw new AppError('invalid-argument', `adapt: gamma must be in (0.5, 1]`);
  range('minGamma', c.minGamma, 0.55, c.gamma);
  range('minShare', c.minShare, 0, 0.5);
  range('alpha', c.alpha, 0, 100);
  range('epochs', c.epochs, 0, 1000, true);
  range('warmupEpochs', c.warmupEpochs, 0, 100, true);
  range('batchSize', c.batchSize, 1, 4096, true);
  range('learningRate', c.learningRate, 1e-7, 1);
  range('topLearningRateScale', c.topLearningRateScale, 0, 10);
  range('seed', c.seed, 0, 2 ** 32 - 1, true);
  range('valFraction', c.valFraction, 0, 0.5);
  range('patience', c.patience, 1, 1000, true);
  range('cropShare', c.cropShare, 0, 1);
  range('minCropScale', c.minCropScale, 0.2, 1);
  range('backgroundClusters', c.backgroundClusters, 0, 64, true);
  range('cap', c.cap, 1, 100000, true);
  range('prototypeScale', c.prototypeScale, 0.1, 1000);
  range('mapChannels', c.mapChannels, 0, 4096, true);
  if (!(TRAINABLE_FROM as readonly string[]).includes(c.trainableFrom))
    throw new AppError('invalid-argument', `adapt: trainableFrom must be one of ${TRAINABLE_FROM.join(', ')}`);
  return c;
}
