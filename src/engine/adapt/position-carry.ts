// The sampler's inputs gathered while an epoch's training and validation passes run anyway: each batch's
// per-position confidences and projections, read from the very forward that trains it (with the weights of that
// step, outside the gradient). The next epoch samples from them instead of running a pass of its own over every
// image, which was a quarter of an epoch. Only without crops: a crop's positions are not the next epoch's.
import type * as tf from '@tensorflow/tfjs';
import type { HeadTensors } from './adapt-heads.js';
import { PROJECTION_DIMS, projection, readPositions, type PositionFeatures } from './sampler.js';

export class PositionCarry {
  private readonly confidence: Float32Array;
  private readonly projected: Float32Array;
  private readonly seen: Uint8Array;
  private filled = 0;
  private readonly project: tf.Tensor2D;

  constructor(
    items: number,
    private readonly positions: number,
    channels: number,
    rng: () => number,
  ) {
    this.confidence = new Float32Array(items * positions);
    this.projected = new Float32Array(items * positions * PROJECTION_DIMS);
    this.seen = new Uint8Array(items);
    this.project = projection(channels, rng);
  }

  /** Records the adapted maps of the items at `indices` (the sampler's item order: fit, then validation). */
  record(out: tf.Tensor4D, indices: readonly number[], labels: readonly number[], heads: HeadTensors): void {
    const p = readPositions(out, labels, heads, this.project);
    const per = this.positions;
    indices.forEach((item, k) => {
      this.confidence.set(p.confidence.subarray(k * per, (k + 1) * per), item * per);
      this.projected.set(
        p.projected.subarray(k * per * PROJECTION_DIMS, (k + 1) * per * PROJECTION_DIMS),
        item * per * PROJECTION_DIMS,
      );
      if (!this.seen[item]) {
        this.seen[item] = 1;
        this.filled++;
      }
    });
  }

  /** Every item seen: what the next epoch's sampler reads. */
  features(): PositionFeatures | undefined {
    return this.filled === this.seen.length ? { confidence: this.confidence, projected: this.projected } : undefined;
  }

  dispose(): void {
    this.project.dispose();
  }
}
