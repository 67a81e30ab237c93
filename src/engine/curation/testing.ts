// Synthetic images and vectors with known answers, shared by the curation tests and the benchmark.
import { createRng, normals } from '../ssod/rng.js';
import type { Pixels } from './perceptual-hash.js';
import { matrix, normaliseRows, type Matrix } from './vectors.js';

/** A smooth random RGB scene: a few coloured blobs on a gradient, different for every seed. */
export function scene(seed: number, width = 64, height = 48): Pixels {
  const rng = createRng(seed);
  const blobs = Array.from({ length: 5 }, () => ({
    x: rng() * width,
    y: rng() * height,
    r: (0.1 + rng() * 0.3) * width,
    c: [rng() * 255, rng() * 255, rng() * 255],
  }));
  const g = [rng() * 2 - 1, rng() * 2 - 1];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let v = 128 + 60 * (g[0]! * (x / width - 0.5) + g[1]! * (y / height - 0.5));
        for (const b of blobs) {
          const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
          v += (b.c[ch]! - 128) * Math.exp(-d2);
        }
        data[(y * width + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width, height, channels: 3 };
}

/** Box-filtered downscale by an integer factor (a resized copy). */
export function downscale(p: Pixels, factor: number): Pixels {
  const w = Math.floor(p.width / factor);
  const h = Math.floor(p.height / factor);
  const out = new Uint8Array(w * h * p.channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < p.channels; c++) {
        let s = 0;
        for (let dy = 0; dy < factor; dy++) {
          for (let dx = 0; dx < factor; dx++)
            s += p.data[((y * factor + dy) * p.width + x * factor + dx) * p.channels + c]!;
        }
        out[(y * w + x) * p.channels + c] = Math.round(s / (factor * factor));
      }
    }
  }
  return { data: out, width: w, height: h, channels: p.channels };
}

/** Per-pixel transform (a colour shift, noise as from recompression). */
export function mapPixels(p: Pixels, f: (v: number, channel: number, i: number) => number): Pixels {
  const data = new Uint8Array(p.data.length);
  for (let i = 0; i < p.data.length; i++)
    data[i] = Math.max(0, Math.min(255, Math.round(f(p.data[i]!, i % p.channels, i))));
  return { ...p, data };
}

/** The image without a border of `px` pixels on each side (a slight crop). */
export function crop(p: Pixels, px: number): Pixels {
  const w = p.width - 2 * px;
  const h = p.height - 2 * px;
  const out = new Uint8Array(w * h * p.channels);
  for (let y = 0; y < h; y++) {
    const src = ((y + px) * p.width + px) * p.channels;
    out.set(p.data.subarray(src, src + w * p.channels), y * w * p.channels);
  }
  return { data: out, width: w, height: h, channels: p.channels };
}

/** `clusters` Gaussian clusters of `perCluster` unit vectors in `dim` dimensions (spread = noise per axis). */
export function clusteredVectors(
  clusters: number,
  perCluster: number,
  dim: number,
  spread: number,
  seed: number,
): Matrix {
  const rng = createRng(seed);
  const centres = normals(clusters * dim, 1, rng);
  const data = new Float32Array(clusters * perCluster * dim);
  for (let c = 0; c < clusters; c++) {
    for (let i = 0; i < perCluster; i++) {
      const noise = normals(dim, spread, rng);
      const o = (c * perCluster + i) * dim;
      for (let j = 0; j < dim; j++) data[o + j] = centres[c * dim + j]! + noise[j]!;
    }
  }
  return normaliseRows(matrix(data, clusters * perCluster, dim));
}
