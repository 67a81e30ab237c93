// Data plumbing of adapt mode: the validation split, batches of cached maps cut from typed arrays (never
// tensor.slice, see ENVIRONMENT.md), and chunked forward passes of the fused top.
import type * as tf from '@tensorflow/tfjs';
import { runFoldedGraph } from '../backbones/folded-graph.js';
import { OOD_LABEL, type FeatureStore, type FoldedGraph, type TrainItem } from '../types.js';
import { shuffleInPlace } from '../ssod/rng.js';
import { viewTensor, type View } from './views.js';

/** Stratified hold-out of ID images (reviewed-OOD images and augmented views always train). A class keeps at
 * least two training images; classes that small give no validation images. */
export function splitValidation(
  train: readonly TrainItem[],
  fraction: number,
  rng: () => number,
): { fit: TrainItem[]; val: TrainItem[] } {
  const byClass = new Map<number, TrainItem[]>();
  const fit: TrainItem[] = [];
  for (const it of train) {
    if (it.label === OOD_LABEL || it.source !== undefined) fit.push(it);
    else byClass.set(it.label, [...(byClass.get(it.label) ?? []), it]);
  }
  const val: TrainItem[] = [];
  for (const items of byClass.values()) {
    shuffleInPlace(items, rng);
    const k = Math.min(Math.floor(items.length * fraction), Math.max(0, items.length - 2));
    val.push(...items.slice(0, k));
    fit.push(...items.slice(k));
  }
  return { fit, val };
}

export async function readMaps(
  store: FeatureStore,
  rows: readonly number[],
  out?: Float32Array,
): Promise<Float32Array> {
  if (out && store.readInto?.('maps', rows, out)) return out;
  return store.maps(rows);
}

export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

export function mapShape(store: FeatureStore): [number, number, number] {
  return [store.layout.mapH, store.layout.mapW, store.layout.mapC];
}

/** The batch's views through a frozen graph (fused convolutions, no gradient); the input itself when the graph
 * has no units. */
export function frozenForward(graph: FoldedGraph, x: tf.Tensor4D): tf.Tensor4D {
  if (graph.units.length === 0) return x;
  const [y] = runFoldedGraph(graph, x);
  x.dispose();
  return y!;
}

/** Runs `graph` over every item in chunks and hands each chunk's output to `use` (disposed afterwards). */
export async function forEachChunk(
  store: FeatureStore,
  items: readonly TrainItem[],
  views: readonly View[] | null,
  graph: FoldedGraph,
  chunkSize: number,
  use: (out: tf.Tensor4D, at: number, n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const shape = mapShape(store);
  for (let at = 0; at < items.length; at += chunkSize) {
    if (signal?.aborted) return;
    const part = items.slice(at, at + chunkSize);
    const maps = await readMaps(
      store,
      part.map((it) => it.row),
    );
    const partViews = views ? views.slice(at, at + part.length) : part.map(() => null);
    const out = frozenForward(graph, viewTensor(maps, part.length, shape, partViews));
    try {
      use(out, at, part.length);
    } finally {
      out.dispose();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
