// Perceptual hashes of decoded pixels (the caller decodes; the engine never opens a file). Two hashes, because
// they fail differently: the difference hash (dHash) compares neighbouring brightness and survives
// recompression and resizing; the DCT hash (pHash) keeps the low frequencies and survives small crops and
// colour shifts better. Their distances are added: on low-texture images dHash alone calls different scenes
// close, and pHash alone drifts on crops; the sum separates both (see perceptual-hash.test.ts).

export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA; alpha ignored). */
  channels: number;
}

/** 64-bit hash as two unsigned 32-bit halves (no bigint, so it serialises as JSON). */
export type Hash64 = [number, number];

export function checkPixels(p: Pixels): void {
  const ok =
    Number.isInteger(p.width) &&
    Number.isInteger(p.height) &&
    p.width > 0 &&
    p.height > 0 &&
    [1, 3, 4].includes(p.channels) &&
    p.data.length === p.width * p.height * p.channels;
  if (!ok) throw new RangeError(`pixels: ${p.data.length} bytes are not ${p.width}x${p.height}x${p.channels}`);
}

/** Rec. 601 luma of every pixel. */
export function luma(p: Pixels): Float32Array {
  checkPixels(p);
  const n = p.width * p.height;
  const out = new Float32Array(n);
  const c = p.channels;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    out[i] = c === 1 ? p.data[o]! : 0.299 * p.data[o]! + 0.587 * p.data[o + 1]! + 0.114 * p.data[o + 2]!;
  }
  return out;
}

/** Area-average resize of a grey image to w x h (every source pixel contributes by its overlap). */
export function resizeGrey(src: Float32Array, sw: number, sh: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const sx = sw / w;
  const sy = sh / h;
  for (let y = 0; y < h; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let yy = Math.floor(y0); yy < Math.min(sh, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(sw, Math.ceil(x1)); xx++) {
          const wgt = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          sum += src[yy * sw + xx]! * wgt;
          area += wgt;
        }
      }
      out[y * w + x] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

function packBits(bits: boolean[]): Hash64 {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 32; i++) if (bits[i]) hi |= 1 << (31 - i);
  for (let i = 0; i < 32; i++) if (bits[32 + i]) lo |= 1 << (31 - i);
  return [hi >>> 0, lo >>> 0];
}

/** dHash: 9x8 grey thumbnail, one bit per horizontal neighbour pair (left brighter than right). */
export function dHash(p: Pixels): Hash64 {
  const g = resizeGrey(luma(p), p.width, p.height, 9, 8);
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(g[y * 9 + x]! > g[y * 9 + x + 1]!);
  return packBits(bits);
}

const DCT_N = 32;
const DCT_K = 8;
let dctTable: Float64Array | undefined;

function cosTable(): Float64Array {
  if (dctTable) return dctTable;
  dctTable = new Float64Array(DCT_K * DCT_N);
  for (let u = 0; u < DCT_K; u++) {
    for (let x = 0; x < DCT_N; x++) dctTable[u * DCT_N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * DCT_N));
  }
  return dctTable;
}

/** pHash: 32x32 grey thumbnail, 2-D DCT, the 8x8 lowest frequencies against their median (DC excluded). */
export function pHash(p: Pixels): Hash64 {
  const g = resizeGrey(luma(p), p.width, p.height, DCT_N, DCT_N);
  const t = cosTable();
  const rowsDct = new Float64Array(DCT_N * DCT_K);
  for (let y = 0; y < DCT_N; y++) {
    for (let u = 0; u < DCT_K; u++) {
      let s = 0;
      for (let x = 0; x < DCT_N; x++) s += g[y * DCT_N + x]! * t[u * DCT_N + x]!;
      rowsDct[y * DCT_K + u] = s;
    }
  }
  const coeffs: number[] = [];
  for (let v = 0; v < DCT_K; v++) {
    for (let u = 0; u < DCT_K; u++) {
      let s = 0;
      for (let y = 0; y < DCT_N; y++) s += rowsDct[y * DCT_K + u]! * t[v * DCT_N + y]!;
      coeffs.push(s);
    }
  }
  const ac = coeffs.slice(1);
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
  return packBits(coeffs.map((c, i) => i > 0 && c > median));
}

function popcount32(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function hammingDistance(a: Hash64, b: Hash64): number {
  return popcount32(a[0] ^ b[0]) + popcount32(a[1] ^ b[1]);
}

export interface ImageHashes {
  dHash: Hash64;
  pHash: Hash64;
}

export function imageHashes(p: Pixels): ImageHashes {
  return { dHash: dHash(p), pHash: pHash(p) };
}

/** dHash plus pHash distance, in bits out of 128. */
export function hashDistance(a: ImageHashes, b: ImageHashes): number {
  return hammingDistance(a.dHash, b.dHash) + hammingDistance(a.pHash, b.pHash);
}
