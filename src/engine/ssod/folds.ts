// Stratified, seeded K-fold assignment: training images are scored by heads that never saw them.
import type { TrainItem } from '../types.js';
import { createRng, shuffleInPlace } from './rng.js';

/** fold[i] in 0..k-1 for items[i]. Each label (OOD_LABEL included) is spread evenly over the folds. */
export function assignFolds(items: readonly TrainItem[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  const rng = createRng(seed);
  const byLabel = new Map<number, number[]>();
  items.forEach((it, i) => {
    const list = byLabel.get(it.label) ?? [];
    list.push(i);
    byLabel.set(it.label, list);
  });
  const fold = new Array<number>(items.length).fill(0);
  const sizes = new Array<number>(k).fill(0);
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const idx = shuffleInPlace(byLabel.get(label)!, rng);
    // Start each label at the currently smallest folds so totals stay balanced, not only per label.
    const order = [...sizes.keys()].sort((a, b) => sizes[a]! - sizes[b]! || a - b);
    idx.forEach((item, j) => {
      const f = order[j % k]!;
      fold[item] = f;
      sizes[f]!++;
    });
  }
  return fold;
}

/** A seeded stratified split of item indices into (fit, held-out) with about `fraction` held out per label. */
export function stratifiedSplit(
  items: readonly TrainItem[],
  fraction: number,
  seed: number,
): { fit: number[]; held: number[] } {
  const rng = createRng(seed);
  const byLabel = new Map<number, number[]>();
  items.forEach((it, i) => byLabel.set(it.label, [...(byLabel.get(it.label) ?? []), i]));
  const fit: number[] = [];
  const held: number[] = [];
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const idx = shuffleInPlace(byLabel.get(label)!, rng);
    // Keep at least one item of each label for fitting; hold out only where a label has 2 or more.
    const nHeld = idx.length >= 2 ? Math.min(idx.length - 1, Math.round(idx.length * fraction)) : 0;
    held.push(...idx.slice(0, nHeld));
    fit.push(...idx.slice(nHeld));
  }
  return { fit: fit.sort((a, b) => a - b), held: held.sort((a, b) => a - b) };
}
