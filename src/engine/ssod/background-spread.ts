// "Are the background positions all alike?" (SSOD.md, diagnostics): the sampler's background positions of the
// last epoch are compared with its ID positions by their spread (mean squared distance to their own centroid).
// A uniform background (e.g. black around every Fashion-MNIST item) gives a spread near zero next to the objects':
// the OOD head then learns "this colour is OOD", not "not in-distribution", and the run says so.

/** The first `capacity` positions offered (rows of a [*, c] array), enough for a stable spread. */
export class PositionSample {
  private readonly rows: Float32Array;
  count = 0;

  constructor(
    readonly c: number,
    readonly capacity = 2000,
  ) {
    this.rows = new Float32Array(capacity * c);
  }

  add(x: Float32Array, idx: ArrayLike<number>, keep: (i: number) => boolean = () => true): void {
    for (let k = 0; k < idx.length && this.count < this.capacity; k++) {
      const i = idx[k]!;
      if (!keep(i)) continue;
      this.rows.set(x.subarray(i * this.c, (i + 1) * this.c), this.count * this.c);
      this.count++;
    }
  }

  /** Mean squared Euclidean distance of the rows to their centroid (the trace of their covariance). */
  spread(): number {
    const { c, count } = this;
    if (count === 0) return 0;
    const mean = new Float64Array(c);
    for (let i = 0; i < count; i++) for (let j = 0; j < c; j++) mean[j]! += this.rows[i * c + j]! / count;
    let ss = 0;
    for (let i = 0; i < count; i++)
      for (let j = 0; j < c; j++) {
        const d = this.rows[i * c + j]! - mean[j]!;
        ss += d * d;
      }
    return ss / count;
  }
}

/** Background spread over ID spread, or undefined when either side has too few positions to judge. */
export function spreadRatio(id: PositionSample, background: PositionSample, minRows = 20): number | undefined {
  if (id.count < minRows || background.count < minRows) return undefined;
  const s = id.spread();
  return s > 0 ? background.spread() / s : undefined;
}
