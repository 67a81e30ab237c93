// Test and benchmark double for the engine's backbone (passed as EngineOptions.depsModule): features are
// plain pixel statistics of an 8×8 thumbnail, so tests of the services' curate loop run in seconds on a loaded
// machine while everything else (decode, feature cache, SSOD trainer, scorers, model files) stays real.
import type { Backbone, PreprocessSpec } from '../../engine/types.js';

const SIZE = 8;
const GRID = 4; // 4×4 map positions, each a 2×2 block of pixels
const CELL = SIZE / GRID;
const MAP_C = 6; // block mean and block max, per RGB channel
const POOLED_C = 12; // image mean, std, min, max, per RGB channel

export function loadBackbone(spec: string): Promise<Backbone> {
  const preprocess: PreprocessSpec = { size: SIZE, fit: 'squash', mean: [0, 0, 0], std: [1, 1, 1], channels: 3 };
  return Promise.resolve({
    key: `pixel-stats@1:${spec}:${SIZE}`,
    identity: { backbone: 'pixel-stats (test double)', spec },
    preprocess,
    layout: { mapH: GRID, mapW: GRID, mapC: MAP_C, pooledC: POOLED_C },
    extract: (pixels: Float32Array, n: number) => Promise.resolve(pixelFeatures(pixels, n)),
    dispose: () => undefined,
  });
}

export function pixelFeatures(pixels: Float32Array, n: number): { maps: Float32Array; pooled: Float32Array } {
  const per = SIZE * SIZE * 3;
  const maps = new Float32Array(n * GRID * GRID * MAP_C);
  const pooled = new Float32Array(n * POOLED_C);
  for (let i = 0; i < n; i++) {
    const img = pixels.subarray(i * per, (i + 1) * per);
    for (let gy = 0; gy < GRID; gy++) {
      for (let gx = 0; gx < GRID; gx++) {
        const out = ((i * GRID + gy) * GRID + gx) * MAP_C;
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          let max = -Infinity;
          for (let dy = 0; dy < CELL; dy++) {
            for (let dx = 0; dx < CELL; dx++) {
              const v = img[((gy * CELL + dy) * SIZE + gx * CELL + dx) * 3 + c]!;
              sum += v;
              max = Math.max(max, v);
            }
          }
          maps[out + c] = sum / (CELL * CELL);
          maps[out + 3 + c] = max;
        }
      }
    }
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let p = 0; p < SIZE * SIZE; p++) {
        const v = img[p * 3 + c]!;
        sum += v;
        sq += v * v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const mean = sum / (SIZE * SIZE);
      const o = i * POOLED_C;
      pooled[o + c] = mean;
      pooled[o + 3 + c] = Math.sqrt(Math.max(0, sq / (SIZE * SIZE) - mean * mean));
      pooled[o + 6 + c] = min;
      pooled[o + 9 + c] = max;
    }
  }
  return { maps, pooled };
}
