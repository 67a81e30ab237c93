import { describe, expect, it } from 'vitest';
import { OOD_LABEL } from '../types.js';
import { createRng } from './rng.js';
import { ownClassConfidence, sampleMasks, samplingStats, selectPositions } from './sampling.js';

// Two images, 2x2 positions, 2 classes. Image 0 (class 0): object in the top row (class 0 strongly), background
// (class 1 strongly) in the bottom row. Image 1 (class 1): object at position 3 only, position 2 undecided.
const L = 8;
const logits = Float32Array.from([
  // image 0: positions 0..3, [class0, class1]
  L,
  0,
  L,
  0,
  0,
  L,
  0,
  L,
  // image 1
  L,
  0,
  L,
  0,
  0,
  0,
  0,
  L,
]);

/** Softmax of each row of `classes` logits. */
function softmaxRows(x: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += classes) {
    const row = Array.from(x.subarray(o, o + classes));
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    row.forEach((v, k) => (out[o + k] = Math.exp(v - max) / sum));
  }
  return out;
}
const probs = softmaxRows(logits, 2);

describe('own-class confidence and masks', () => {
  it('uses the image class, not the arg-max', () => {
    const c = ownClassConfidence(probs, [0, 1], 4, 2);
    const hi = 1 / (1 + Math.exp(-L));
    expect(c[0]).toBeCloseTo(hi, 6);
    expect(c[2]).toBeCloseTo(1 - hi, 6);
    expect(c[4]).toBeCloseTo(1 - hi, 6); // image 1 is class 1: its class-0 positions are background
    expect(c[6]).toBeCloseTo(0.5, 6);
  });
  it('marks the known foreground and background positions', () => {
    const m = sampleMasks(ownClassConfidence(probs, [0, 1], 4, 2), 0.95);
    expect(Array.from(m.id)).toEqual([1, 1, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(m.ood)).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    const s = samplingStats(m, [0, 1], 4);
    expect(s.idShare).toBeCloseTo(3 / 8);
    expect(s.oodShare).toBeCloseTo(4 / 8);
  });
  it('gives reviewed-OOD images all positions as OOD', () => {
    const c = ownClassConfidence(probs, [0, OOD_LABEL], 4, 2);
    const m = sampleMasks(c, 0.95);
    const sel = selectPositions(m, [0, OOD_LABEL], 4, 10, createRng(1));
    expect(Array.from(sel.id)).toEqual([0, 1]);
    expect(Array.from(sel.ood).sort()).toEqual([2, 3, 4, 5, 6, 7]);
  });
  it('caps positions per image, seeded', () => {
    const m = sampleMasks(ownClassConfidence(probs, [0, 1], 4, 2), 0.95);
    const a = selectPositions(m, [0, 1], 4, 1, createRng(5));
    const b = selectPositions(m, [0, 1], 4, 1, createRng(5));
    expect(a).toEqual(b);
    expect(a.id).toHaveLength(2);
    expect(a.ood).toHaveLength(2);
    expect([2, 3]).toContain(a.ood[0]);
    expect([4, 5]).toContain(a.ood[1]);
  });
  it('rejects gamma outside (0.5, 1]', () => {
    expect(() => sampleMasks(new Float32Array(1), 0.4)).toThrow(RangeError);
  });
});
