// Every row of a large set at a quarter of float32's memory: each row stored as int8 with its own scale, so a
// million 960-d vectors take 0.9 GB instead of 3.8 GB and any pair's cosine is a cheap in-memory product. The
// quantisation error of a unit-length row's cosine stays near 1e-3, well inside the slack the duplicate search
// leaves before its exact re-score.

export interface Int8RowsHandle {
  rows: number;
  cols: number;
  data: Int8Array;
  scale: Float32Array;
}

export class Int8Rows {
  readonly data: Int8Array;
  /** Per-row factor back to the row's values (value = int8 * scale). */
  readonly scale: Float32Array;
  /** `shared` puts the rows in shared memory, so other threads read them without a copy (Int8Rows.view). */
  constructor(
    readonly rows: number,
    readonly cols: number,
    shared = false,
  ) {
    const Buf = shared ? SharedArrayBuffer : ArrayBuffer;
    this.data = new Int8Array(new Buf(rows * cols));
    this.scale = new Float32Array(new Buf(rows * 4));
  }

  /** What another thread needs to read these rows (shared buffers are passed, not copied). */
  handle(): Int8RowsHandle {
    return { rows: this.rows, cols: this.cols, data: this.data, scale: this.scale };
  }

  /** Rows from a handle made by another thread (the same memory when it was shared). */
  static view(h: Int8RowsHandle): Int8Rows {
    const r = Object.create(Int8Rows.prototype) as { -readonly [K in keyof Int8Rows]: Int8Rows[K] };
    Object.assign(r, h);
    return r;
  }

  /** Stores `src[offset .. offset + cols)` as row `r`. */
  put(r: number, src: Float32Array, offset: number): void {
    const d = this.cols;
    let max = 0;
    for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(src[offset + j]!));
    const o = r * d;
    if (max === 0) {
      this.data.fill(0, o, o + d);
      this.scale[r] = 0;
      return;
    }
    const inv = 127 / max;
    for (let j = 0; j < d; j++) this.data[o + j] = Math.round(src[offset + j]! * inv);
    this.scale[r] = max / 127;
  }

  /** The dot product of rows a and b (their cosine when the rows were unit length). */
  dot(a: number, b: number): number {
    const d = this.cols;
    const x = this.data;
    const ao = a * d;
    const bo = b * d;
    let s0 = 0;
    let s1 = 0;
    let j = 0;
    for (; j + 1 < d; j += 2) {
      s0 += x[ao + j]! * x[bo + j]!;
      s1 += x[ao + j + 1]! * x[bo + j + 1]!;
    }
    if (j < d) s0 += x[ao + j]! * x[bo + j]!;
    return (s0 + s1) * this.scale[a]! * this.scale[b]!;
  }

  /** Rows start .. start + count - 1 back as float32, row-major into `out`. */
  readInto(start: number, count: number, out: Float32Array): void {
    const d = this.cols;
    for (let i = 0; i < count; i++) {
      const s = this.scale[start + i]!;
      const o = (start + i) * d;
      for (let j = 0; j < d; j++) out[i * d + j] = this.data[o + j]! * s;
    }
  }
}
