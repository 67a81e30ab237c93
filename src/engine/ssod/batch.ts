// Training batches as plain arrays, cut from typed arrays read through the FeatureStore (never tensor.slice or
// gather on a big tensor: on wasm slice copies the whole source and gather runs ~30 ms for one batch). The arrays
// come from a Scratch: a trainer reads every row each epoch, and a fresh multi-MB Float32Array costs ~2 ms of
// page faults per batch where the copy into a reused one costs ~0.1 ms (measured on wasm, 256 maps of 6x6x96).
import * as tf from '@tensorflow/tfjs';
import { OOD_LABEL, type FeatureStore, type TrainItem } from '../types.js';
import type { Variant } from './config.js';
import { prepareRows, type InputStats } from './heads.js';

/** Reusable arrays by name. A buffer is handed out again only after every tensor made from it was disposed:
 * the cpu backend keeps the array a tensor was made of (wasm and native copy it). Contents are not cleared. */
export class Scratch {
  private readonly buffers = new Map<string, Float32Array>();

  take(name: string, length: number): Float32Array {
    let b = this.buffers.get(name);
    if (!b || b.length < length) {
      b = new Float32Array(length);
      this.buffers.set(name, b);
    }
    return b.subarray(0, length);
  }
}

/** One batch: tensors are made later only of what the step uses. */
export interface Batch {
  /** Prepared positions [B*P, c] (empty when the step needs none). */
  x: Float32Array;
  /** Pooled (mean of prepared positions) [B, c]. */
  xbar: Float32Array;
  /** Pooled backbone features [B, pooledC] (standardised on the backend, see StepContext.pooledNorm). */
  pooled: Float32Array;
  labels: number[];
}

async function readRows(
  store: FeatureStore,
  kind: 'maps' | 'pooled',
  rows: readonly number[],
  out: Float32Array,
): Promise<Float32Array> {
  if (store.readInto?.(kind, rows, out)) return out;
  out.set(kind === 'maps' ? await store.maps(rows) : await store.pooled(rows));
  return out;
}

/** A batch of items (indices into `items`); `xbarAll` holds every item's pooled prepared positions. */
export async function loadBatch(
  store: FeatureStore,
  items: readonly TrainItem[],
  chunk: readonly number[],
  xbarAll: Float32Array,
  stats: InputStats,
  v: Variant,
  sample: boolean,
  scratch: Scratch,
): Promise<Batch> {
  const { mapH, mapW, mapC: c, pooledC } = store.layout;
  const rows = chunk.map((i) => items[i]!.row);
  const xbar = scratch.take('xbar', chunk.length * c);
  chunk.forEach((i, k) => xbar.set(xbarAll.subarray(i * c, (i + 1) * c), k * c));
  // Warm-up steps read positions only for reviewed OOD (the CLS head trains on the pooled features).
  const needMaps = sample || chunk.some((i) => items[i]!.label === OOD_LABEL);
  const maps = needMaps
    ? await readRows(store, 'maps', rows, scratch.take('maps', rows.length * mapH * mapW * c))
    : new Float32Array(0);
  return {
    x: needMaps ? prepareRows(maps, c, stats, v) : maps,
    xbar,
    pooled: await readRows(store, 'pooled', rows, scratch.take('pooled', rows.length * pooledC)),
    labels: chunk.map((i) => items[i]!.label),
  };
}

/** Rows `idx` of a row-major [*, w] array, copied into `out` from row `at`. */
export function copyRows(a: Float32Array, w: number, idx: ArrayLike<number>, out: Float32Array, at: number): void {
  for (let i = 0; i < idx.length; i++) out.set(a.subarray(idx[i]! * w, (idx[i]! + 1) * w), (at + i) * w);
}

/** Rows `idx` of a row-major [*, w] array as a [idx.length, w] tensor (through scratch buffer `name`), or
 * undefined when idx is empty. */
export function takeRows(
  a: Float32Array,
  w: number,
  idx: ArrayLike<number>,
  scratch: Scratch,
  name: string,
): tf.Tensor2D | undefined {
  if (idx.length === 0) return undefined;
  const out = scratch.take(name, idx.length * w);
  copyRows(a, w, idx, out, 0);
  return tf.tensor2d(out, [idx.length, w]);
}
