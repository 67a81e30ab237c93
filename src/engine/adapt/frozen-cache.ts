// The frozen blocks of the top (those below `trainableFrom`) run once per image instead of once per batch, pass
// and epoch: without crops their input never changes, so neither does their output, and at input 128 they are
// about a quarter of a training step's multiply-adds and half of every sampling and validation pass.
import { AppError } from '../../shared/errors.js';
import type { FeatureLayout, FeatureStore, FoldedGraph, TrainItem } from '../types.js';
import { frozenForward, mapShape, readMaps } from './adapt-data.js';
import { viewTensor } from './views.js';

/** Above this the cache is not built and every pass runs the frozen blocks again (still correct, slower). */
export const FROZEN_CACHE_MAX_BYTES = 2 * 1024 ** 3;
const CHUNK = 64;

/** Maps held in memory by feature row: what the trainable part reads instead of the cached block-12 maps. */
class HeldMaps implements FeatureStore {
  constructor(
    readonly layout: FeatureLayout,
    readonly count: number,
    private readonly data: Float32Array,
    private readonly slot: ReadonlyMap<number, number>,
  ) {}

  private get per(): number {
    return this.layout.mapH * this.layout.mapW * this.layout.mapC;
  }

  maps(rows: readonly number[]): Promise<Float32Array> {
    const out = new Float32Array(rows.length * this.per);
    if (!this.readInto('maps', rows, out))
      return Promise.reject(new AppError('engine-failed', 'adapt: a row outside the frozen cache was read'));
    return Promise.resolve(out);
  }

  pooled(): Promise<Float32Array> {
    return Promise.reject(new AppError('engine-failed', 'adapt: the frozen cache holds maps only'));
  }

  readInto(kind: 'maps' | 'pooled', rows: readonly number[], out: Float32Array): boolean {
    if (kind !== 'maps') return false;
    const per = this.per;
    for (let i = 0; i < rows.length; i++) {
      const k = this.slot.get(rows[i]!);
      if (k === undefined) return false;
      out.set(this.data.subarray(k * per, (k + 1) * per), i * per);
    }
    return true;
  }
}

export interface FrozenCacheOptions {
  maxBytes?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The frozen blocks' output for every row the items name, or undefined when there are no frozen blocks or the
 * outputs would not fit `maxBytes`. */
export async function cacheFrozenOutputs(
  store: FeatureStore,
  items: readonly TrainItem[],
  frozen: FoldedGraph,
  options: FrozenCacheOptions = {},
): Promise<FeatureStore | undefined> {
  if (frozen.units.length === 0 || items.length === 0) return undefined;
  const rows = [...new Set(items.map((t) => t.row))];
  const shape = mapShape(store);
  let data: Float32Array | undefined;
  let layout: FeatureLayout | undefined;
  const chunks = Math.ceil(rows.length / CHUNK);
  for (let c = 0; c < chunks; c++) {
    if (options.signal?.aborted) throw new AppError('cancelled', 'adapt training cancelled');
    const part = rows.slice(c * CHUNK, (c + 1) * CHUNK);
    const maps = await readMaps(store, part);
    const out = frozenForward(
      frozen,
      viewTensor(
        maps,
        part.length,
        shape,
        part.map(() => null),
      ),
    );
    try {
      if (!data) {
        const [, h, w, ch] = out.shape;
        layout = { mapH: h, mapW: w, mapC: ch, pooledC: store.layout.pooledC };
        const bytes = rows.length * h * w * ch * 4;
        if (bytes > (options.maxBytes ?? FROZEN_CACHE_MAX_BYTES)) return undefined;
        data = new Float32Array(rows.length * h * w * ch);
      }
      data.set(out.dataSync(), c * CHUNK * (data.length / rows.length));
    } finally {
      out.dispose();
    }
    options.onProgress?.(c + 1, chunks);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return new HeldMaps(layout!, store.count, data!, new Map(rows.map((r, k) => [r, k])));
}
