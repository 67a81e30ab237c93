// Warm starts for retrains. A retrain after review starts each model from the previous run's same model (fold k
// from fold k, all-data from all-data) and trains a few epochs instead of the full schedule.
//
// What keeps the out-of-fold scores honest: an image's fold is a pure function of its content hash, the seed and
// the fold count (keyFold), never of which other images are in the run. Fold k's held-out images are then the
// same in every run of the chain: the previous fold-k model (and the one it started from, and so on) trained only
// on images of other folds, so it never saw fold k's held-out images, whatever was added, removed, relabelled or
// rejected in between. The same holds for each model's early-stopping split (inValSplit). A run whose folds were
// not assigned this way (items without keys, a small set) neither produces nor takes a warm start.
//
// Every retrain of a chain starts from the same base: the models of the last run trained from scratch (a warm run
// passes its start on unchanged). A retrain with the same decisions therefore gives the same scores again, and no
// model's start depends on a run that had a different fold assignment or held-out split.
import {
  OOD_LABEL,
  type FeatureLayout,
  type HeadsConfig,
  type TrainItem,
  type WarmModel,
  type WarmStart,
} from '../types.js';
import type { Variant } from './config.js';
import type { TrainedHeads } from './train.js';

/** Bumped whenever keyFold or inValSplit changes: an older run's models then are not a valid start. */
const FOLD_SCHEME = 'content-hash-folds/1';

/** A well-mixed 32-bit hash of the key and a salt (FNV-1a, then murmur3's finaliser). */
export function keyHash(key: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The fold (0..k-1) of an image with this content hash: the same in every run with the same seed and k. */
export function keyFold(key: string, k: number, seed: number): number {
  return keyHash(key, seed) % k;
}

/** Whether an image is in model `modelIndex`'s early-stopping split: stable across runs like its fold. */
export function inValSplit(key: string, modelIndex: number, seed: number, fraction: number): boolean {
  return keyHash(key, (seed ^ Math.imul(modelIndex + 1, 0x9e3779b1)) >>> 0) / 2 ** 32 < fraction;
}

/** Content-hash folds need this many real images of every class per fold: hashing spreads a class over the
 * folds only about evenly, and in a small set one fold could get too few of a class to learn it (a small set
 * trains in seconds anyway, so it keeps the stratified folds and trains from scratch). */
export const MIN_KEYED_PER_CLASS_FOLD = 10;

/** True when every real (not augmented) item carries a key and every class is large enough
 * (MIN_KEYED_PER_CLASS_FOLD): the run's folds are then content-hash folds, and it can warm-start. */
export function keyedRun(train: readonly TrainItem[], folds: number): boolean {
  if (train.length === 0 || !train.every((it) => it.source !== undefined || typeof it.key === 'string')) return false;
  const perClass = new Map<number, number>();
  for (const it of train)
    if (it.source === undefined && it.label !== OOD_LABEL) perClass.set(it.label, (perClass.get(it.label) ?? 0) + 1);
  return [...perClass.values()].every((n) => n >= MIN_KEYED_PER_CLASS_FOLD * folds);
}

/** What must be equal for one run's models to start another's: anything that changes the heads' shapes, the
 * meaning of a model index or an image's fold. */
export function warmFingerprint(
  classes: readonly string[],
  layout: FeatureLayout,
  config: HeadsConfig,
  variant: Variant,
): string {
  const { folds, seed, valFraction, alpha } = config;
  // How long a warm start trains does not change what a model is: runs differing only there chain.
  const { warmEpochs: _warmEpochs, warmPatience: _warmPatience, ...shape } = variant;
  return JSON.stringify({ scheme: FOLD_SCHEME, classes, layout, folds, seed, valFraction, alpha, variant: shape });
}

/** The start of model `index` if `warm` was made by a run with this fingerprint, else undefined. */
export function warmModelFor(warm: WarmStart | undefined, fingerprint: string, index: number): WarmModel | undefined {
  if (!warm || warm.fingerprint !== fingerprint) return undefined;
  return warm.models[index];
}

/** Why a warm start was or was not used: recorded in the run's metrics. */
export function warmStartReason(warm: WarmStart | undefined, fingerprint: string, keyed: boolean): string {
  if (!keyed) return 'cold: a small training set (or items without content keys) keeps stratified folds';
  if (!warm) return 'cold: no previous run to start from';
  if (warm.fingerprint !== fingerprint)
    return 'cold: the previous run differs in classes, features, folds, seed or trainer settings';
  return 'warm: each model started from the previous run’s same model';
}

/** This run's models as the next run's warm start. */
export function collectWarm(
  fingerprint: string,
  jobs: readonly { index: number }[],
  trained: readonly TrainedHeads[],
): WarmStart {
  const models: Record<number, WarmModel> = {};
  jobs.forEach((job, k) => {
    const t = trained[k]!;
    models[job.index] = { arrays: t.arrays, mapStats: t.mapStats, pooledStats: t.pooledStats };
  });
  return { fingerprint, models };
}
