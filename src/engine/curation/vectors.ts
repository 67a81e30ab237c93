// Row-major float32 matrices for the curation algorithms: one flat array of n rows by d columns, so a million
// vectors are one allocation the native indexes read without copying.

/** A dense row-major matrix. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export function matrix(data: Float32Array, rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols <= 0 || data.length !== rows * cols) {
    throw new RangeError(`matrix: ${data.length} values are not ${rows} rows of ${cols}`);
  }
  return { data, rows, cols };
}

export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Unit-length copies of every row; an all-zero row stays zero (its cosine to anything is 0, never NaN). */
export function normaliseRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[o + j]! * m.data[o + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < m.cols; j++) out[o + j] = m.data[o + j]! * inv;
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

export function normaliseVector(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return v.map((x) => x * inv);
}

export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  // Four accumulators let the JIT keep independent chains in flight.
  for (; j + 3 < d; j += 4) {
    s0 += a[ao + j]! * b[bo + j]!;
    s1 += a[ao + j + 1]! * b[bo + j + 1]!;
    s2 += a[ao + j + 2]! * b[bo + j + 2]!;
    s3 += a[ao + j + 3]! * b[bo + j + 3]!;
  }
  for (; j < d; j++) s0 += a[ao + j]! * b[bo + j]!;
  return s0 + s1 + s2 + s3;
}

/** Rows picked by index into a new matrix. */
export function pickRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, k) => out.set(row(m, r), k * m.cols));
  return { data: out, rows: rows.length, cols: m.cols };
}
