// IEEE 754 half precision, used to store feature maps at half the size of float32. Post-ReLU activations sit
// well inside float16's range (max 65504) and its ~3 significant digits are far finer than what linear heads
// on frozen features can resolve; the pooled vector is kept at float32 elsewhere.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 -> float16 bits with round-to-nearest-even; overflow goes to ±Infinity, NaN stays NaN. */
export function toHalf(value: number): number {
  f32[0] = value;
  return halfFromBits(u32[0] ?? 0);
}

/** The same conversion from the float32 bit pattern (lets encodeFloat16 read a Uint32Array view directly). */
function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf or NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit leading 1 in, then round to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    const rounded = rest > mid || (rest === mid && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  const rounded = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded;
}

/** Float16 bits -> number, exact. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let table: Float32Array | undefined;

/** All 65,536 halves decoded once (256 KiB): decoding a feature map is then one lookup per value. */
function decodeTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalf(h);
  }
  return table;
}

export function encodeFloat16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfFromBits(bits[i] ?? 0);
  return out;
}

/** Decodes `src` into `out` starting at `outOffset` (so a batch can be filled row by row without copies). */
export function decodeFloat16(
  src: Uint16Array,
  out: Float32Array = new Float32Array(src.length),
  outOffset = 0,
): Float32Array {
  const t = decodeTable();
  for (let i = 0; i < src.length; i++) out[outOffset + i] = t[src[i] ?? 0] ?? 0;
  return out;
}
