// SSOD's self-supervised sampling, on plain typed arrays: it runs outside the gradient closure (a stop-gradient
// by construction, and wasm has no gradient for gather), and its output feeds the loss as constant indices.
import { OOD_LABEL } from '../types.js';

/** c_j = softmax(logits_j)[label] for each image's own class, read from the softmax rows `probs`
 * ([n, positions, classes] row-major; the softmax runs on the backend). Images with OOD_LABEL get c = 0
 * everywhere (all their positions are OOD by review). */
export function ownClassConfidence(
  probs: Float32Array,
  labels: ArrayLike<number>,
  positions: number,
  classes: number,
): Float32Array {
  const n = labels.length;
  if (probs.length !== n * positions * classes) throw new RangeError('probs size does not match n*positions*classes');
  const c = new Float32Array(n * positions);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (y === OOD_LABEL) continue;
    for (let j = 0; j < positions; j++) c[i * positions + j] = probs[(i * positions + j) * classes + y]!;
  }
  return c;
}

export interface SampleMasks {
  /** 1 where c_j >= gamma (foreground, target ID). */
  id: Uint8Array;
  /** 1 where c_j <= 1 - gamma (background, target OOD). */
  ood: Uint8Array;
}

export function sampleMasks(confidence: Float32Array, gamma: number): SampleMasks {
  if (!(gamma > 0.5 && gamma <= 1)) throw new RangeError(`gamma must be in (0.5, 1], got ${gamma}`);
  const id = new Uint8Array(confidence.length);
  const ood = new Uint8Array(confidence.length);
  for (let j = 0; j < confidence.length; j++) {
    const c = confidence[j]!;
    if (c >= gamma) id[j] = 1;
    else if (c <= 1 - gamma) ood[j] = 1;
  }
  return { id, ood };
}

/** Flat position indices (image * positions + j) chosen for the loss: at most `cap` ID and `cap` OOD positions
 * per image, picked uniformly by `rng`, so a few images with huge backgrounds do not dominate a batch. Every
 * position of an OOD_LABEL image is an OOD position (up to the cap). */
export function selectPositions(
  masks: SampleMasks,
  labels: ArrayLike<number>,
  positions: number,
  cap: number,
  rng: () => number,
): { id: Int32Array; ood: Int32Array } {
  const id: number[] = [];
  const ood: number[] = [];
  const pick = (cands: number[], out: number[]): void => {
    if (cands.length <= cap) {
      out.push(...cands);
      return;
    }
    for (let k = 0; k < cap; k++) {
      const j = k + Math.floor(rng() * (cands.length - k));
      const t = cands[k]!;
      cands[k] = cands[j]!;
      cands[j] = t;
      out.push(cands[k]!);
    }
  };
  for (let i = 0; i < labels.length; i++) {
    const ci: number[] = [];
    const co: number[] = [];
    for (let j = 0; j < positions; j++) {
      const f = i * positions + j;
      if (labels[i] === OOD_LABEL) co.push(f);
      else if (masks.id[f]) ci.push(f);
      else if (masks.ood[f]) co.push(f);
    }
    pick(ci, id);
    pick(co, ood);
  }
  return { id: Int32Array.from(id), ood: Int32Array.from(ood) };
}

export interface SamplingStats {
  positions: number;
  idShare: number;
  oodShare: number;
}

/** Share of positions of ID-labelled images that were sampled ID and OOD. */
export function samplingStats(masks: SampleMasks, labels: ArrayLike<number>, positions: number): SamplingStats {
  let n = 0;
  let nid = 0;
  let nood = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === OOD_LABEL) continue;
    for (let j = 0; j < positions; j++) {
      n++;
      nid += masks.id[i * positions + j]!;
      nood += masks.ood[i * positions + j]!;
    }
  }
  return { positions: n, idShare: n ? nid / n : 0, oodShare: n ? nood / n : 0 };
}
