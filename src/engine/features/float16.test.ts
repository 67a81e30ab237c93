import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, fromHalf, toHalf } from './float16.js';

describe('float16', () => {
  it('encodes known values to their IEEE bits', () => {
    expect(toHalf(0)).toBe(0x0000);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0.5)).toBe(0x3800);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00); // rounds up past the largest half
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(-Infinity)).toBe(0xfc00);
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toHalf(2 ** -26)).toBe(0x0000);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it('round-trips every half exactly', () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromHalf(h);
      if (Number.isNaN(v)) continue;
      expect(toHalf(v)).toBe(h);
    }
  });

  it('keeps relative error within 2^-11 on typical activations', () => {
    const src = new Float32Array(10_000);
    let seed = 7;
    for (let i = 0; i < src.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      src[i] = (seed / 2 ** 32) * 12 - 2; // post-ReLU6-ish range with some negatives
    }
    const back = decodeFloat16(encodeFloat16(src));
    for (let i = 0; i < src.length; i++) {
      const a = src[i] ?? 0;
      const b = back[i] ?? 0;
      expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(Math.abs(a) * 2 ** -11, 2 ** -25));
    }
  });

  it('decodes into an offset of a larger buffer', () => {
    const out = new Float32Array(5);
    decodeFloat16(encodeFloat16(new Float32Array([1, 2, 3])), out, 2);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 3]);
  });
});
