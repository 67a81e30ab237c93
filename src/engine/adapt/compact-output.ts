// The adapt run's last step: the projection of its adapted map (map-projection.ts), fitted on the training
// images' adapted positions with the trained top, so every feature written from this top, and every retrain that
// reads them, has the projection's channels. The projection is part of the saved model (and of its sha256).
import type { FeatureStore } from '../types.js';
import { chunks, readMaps } from './adapt-data.js';
import { adaptMaps } from './adapted-store.js';
import type { AdaptResult } from './adapt-types.js';
import { fitMapProjection } from './map-projection.js';

/** Images whose positions fit the projection: 512 × 16 positions at input 128 estimate 128 directions well. */
const FIT_IMAGES = 512;
const CHUNK = 64;

/** Evenly spread rows of `rows` (at most `count`), so the sample covers every class of a sorted list. */
export function spreadSample(rows: readonly number[], count: number): number[] {
  if (rows.length <= count) return [...rows];
  return Array.from({ length: count }, (_, i) => rows[Math.floor((i * rows.length) / count)]!);
}

/** `result` with its map projected onto `k` channels; unchanged when k is 0 or not below the map's channels, and
 * when the training images give fewer than 4k positions (such a set retrains in seconds on the full map anyway). */
export async function withProjection<T extends Pick<AdaptResult, 'top' | 'inputLayout' | 'layout' | 'projection'>>(
  result: T,
  store: FeatureStore,
  rows: readonly number[],
  k: number,
): Promise<T> {
  const { layout, inputLayout, top } = result;
  if (k <= 0 || k >= layout.mapC) return result;
  const sample = spreadSample(rows, FIT_IMAGES);
  const P = layout.mapH * layout.mapW;
  if (sample.length * P < 4 * k) return result;
  const positions = new Float32Array(sample.length * P * layout.mapC);
  let at = 0;
  for (const part of chunks(sample, CHUNK)) {
    const { maps } = adaptMaps(top, await readMaps(store, part), part.length, inputLayout);
    positions.set(maps, at);
    at += maps.length;
  }
  const projection = fitMapProjection(positions, sample.length * P, layout.mapC, k);
  return { ...result, projection, layout: { ...layout, mapC: k, pooledC: k } };
}
