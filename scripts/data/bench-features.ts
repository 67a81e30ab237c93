// Feature extraction for the quality benchmark: the maps of nsfwjs's bundled models (loaded by nsfwjs-layers.ts) for
// a set of grey images, cached on disk under the cache dir so each set is extracted once.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LayerOut } from './nsfwjs-layers.js';

// The benchmarks that read cached sets also load the model from here.
export { loadMobileNetV2, type LayerOut } from './nsfwjs-layers.js';

export interface ExtractedSet {
  n: number;
  /** Per layer: maps [n, h*w*c] (only for layers asked as maps) and GAP [n, c]. */
  maps: Record<string, Float32Array>;
  pooled: Record<string, Float32Array>;
  outs: LayerOut[];
}

/** grey: n images of side*side bytes. Pixels fed as value/255 replicated to RGB, resized bilinearly. */
export async function extractGrey(
  model: Pick<tf.LayersModel, 'predict'>,
  outs: LayerOut[],
  mapLayers: string[],
  grey: Uint8Array,
  n: number,
  side: number,
  size: number,
  onBatch?: (done: number) => void,
): Promise<ExtractedSet> {
  const maps: Record<string, Float32Array> = {};
  const pooled: Record<string, Float32Array> = {};
  for (const o of outs) {
    pooled[o.name] = new Float32Array(n * o.c);
    if (mapLayers.includes(o.name)) maps[o.name] = new Float32Array(n * o.h * o.w * o.c);
  }
  const bs = 16;
  for (let s = 0; s < n; s += bs) {
    const b = Math.min(bs, n - s);
    const px = new Float32Array(b * side * side);
    for (let i = 0; i < px.length; i++) px[i] = grey[s * side * side + i]! / 255;
    const results = tf.tidy(() => {
      const x = tf.tensor4d(px, [b, side, side, 1]);
      const rgb = tf.image.resizeBilinear(x, [size, size]).tile([1, 1, 1, 3]);
      const ys = model.predict(rgb);
      const arr = Array.isArray(ys) ? ys : [ys];
      return arr.flatMap((y) => [y, y.mean([1, 2])]);
    });
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k]!;
      const m = maps[o.name];
      if (m) m.set(results[2 * k]!.dataSync(), s * o.h * o.w * o.c);
      pooled[o.name]!.set(results[2 * k + 1]!.dataSync(), s * o.c);
    }
    tf.dispose(results);
    onBatch?.(s + b);
  }
  return { n, maps, pooled, outs };
}

/** A tiny on-disk cache: one JSON header and one float32 file per array. */
export function saveSet(dir: string, name: string, set: ExtractedSet, extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const arrays: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(set.maps)) arrays[`map.${k}`] = v;
  for (const [k, v] of Object.entries(set.pooled)) arrays[`pooled.${k}`] = v;
  for (const [k, v] of Object.entries(arrays)) writeFileSync(join(dir, `${name}.${k}.f32`), v);
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ n: set.n, outs: set.outs, arrays: Object.keys(arrays), ...extra }),
  );
}

export function loadSet(dir: string, name: string): (ExtractedSet & { extra: Record<string, unknown> }) | undefined {
  const head = join(dir, `${name}.json`);
  if (!existsSync(head)) return undefined;
  const meta = JSON.parse(readFileSync(head, 'utf8')) as { n: number; outs: LayerOut[]; arrays: string[] } & Record<
    string,
    unknown
  >;
  const maps: Record<string, Float32Array> = {};
  const pooled: Record<string, Float32Array> = {};
  for (const k of meta.arrays) {
    const b = readFileSync(join(dir, `${name}.${k}.f32`));
    const arr = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const [kind, layer] = [k.slice(0, k.indexOf('.')), k.slice(k.indexOf('.') + 1)];
    (kind === 'map' ? maps : pooled)[layer] = arr;
  }
  return { n: meta.n, outs: meta.outs, maps, pooled, extra: meta };
}
