// Adapted features: the trained top run over cached block-12 maps (fused convolutions, no gradient), its map
// projected onto the dominant channels fitted with the top (map-projection.ts) when it has one. The adapted map is
// the heads' new sampling map and its mean the pooled feature, so the heads pipeline trains and scores on features
// SSOD's loss has shaped. Rows are computed on demand and the most recent kept (bounded).
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import { runFoldedGraph } from '../backbones/folded-graph.js';
import type { FeatureLayout, FeatureStore, FoldedGraph } from '../types.js';
import { chunks, readMaps } from './adapt-data.js';
import { headTensors, oodLogits, clsLogits, type HeadWeights } from './adapt-heads.js';
import { projectPositions, type MapProjection } from './map-projection.js';

const CHUNK = 64;
const DEFAULT_MEMO_BYTES = 256 * 2 ** 20;

/** Adapted maps and pooled features of block-12 maps [n, h*w*c] (row-major per image); with a projection, the
 * map's positions in its k coordinates and the pooled feature their mean. */
export function adaptMaps(
  top: FoldedGraph,
  maps: Float32Array,
  n: number,
  input: FeatureLayout,
  projection?: MapProjection,
): { maps: Float32Array; pooled: Float32Array } {
  const [out, pooled] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
    const [raw] = runFoldedGraph(top, tf.tensor4d(maps, [n, input.mapH, input.mapW, input.mapC]));
    const [, h, w, c] = raw!.shape;
    const y = projection
      ? tf.reshape(projectPositions(tf.reshape(raw!, [n * h * w, c]), projection), [n, h, w, projection.k])
      : raw!;
    return [y, tf.mean(y, [1, 2])];
  });
  try {
    return { maps: out.dataSync() as Float32Array, pooled: pooled.dataSync() as Float32Array };
  } finally {
    tf.dispose([out, pooled]);
  }
}

export interface AdaptedSource {
  top: FoldedGraph;
  inputLayout: FeatureLayout;
  /** What the heads read: the projected map when there is a projection. */
  layout: FeatureLayout;
  projection?: MapProjection;
}

/** The same top without its projection: the full adapted map, as the adapt run's own heads read it. */
export function unprojected<T extends AdaptedSource>(source: T): T {
  const { projection, ...rest } = source;
  if (!projection) return source;
  return { ...rest, layout: { ...source.layout, mapC: projection.c, pooledC: projection.c } } as T;
}

/** A FeatureStore of adapted features over `base` (same rows). */
export function adaptedFeatureStore(
  result: AdaptedSource,
  base: FeatureStore,
  options: { memoBytes?: number } = {},
): FeatureStore {
  const { layout, inputLayout } = result;
  const mapSize = layout.mapH * layout.mapW * layout.mapC;
  const memo = new Map<number, { map: Float32Array; pooled: Float32Array }>();
  const maxRows = Math.max(
    CHUNK,
    Math.floor((options.memoBytes ?? DEFAULT_MEMO_BYTES) / ((mapSize + layout.pooledC) * 4)),
  );
  const compute = async (rows: readonly number[]): Promise<void> => {
    const missing = [...new Set(rows.filter((r) => !memo.has(r)))];
    for (const part of chunks(missing, CHUNK)) {
      const out = adaptMaps(result.top, await readMaps(base, part), part.length, inputLayout, result.projection);
      part.forEach((r, i) => {
        memo.set(r, {
          map: out.maps.slice(i * mapSize, (i + 1) * mapSize),
          pooled: out.pooled.slice(i * layout.pooledC, (i + 1) * layout.pooledC),
        });
        if (memo.size > maxRows) memo.delete(memo.keys().next().value!);
      });
    }
  };
  const read = async (rows: readonly number[], kind: 'map' | 'pooled'): Promise<Float32Array> => {
    const size = kind === 'map' ? mapSize : layout.pooledC;
    const out = new Float32Array(rows.length * size);
    for (const part of chunks(
      rows.map((r, i) => [r, i] as const),
      CHUNK,
    )) {
      await compute(part.map(([r]) => r));
      for (const [r, i] of part) out.set(memo.get(r)![kind], i * size);
    }
    return out;
  };
  return {
    layout,
    count: base.count,
    maps: (rows) => read(rows, 'map'),
    pooled: (rows) => read(rows, 'pooled'),
  };
}

export interface HeadScore {
  /** P(x in ID) of the bounded OOD head: sigmoid of the mean of its position logits. */
  pId: number;
  /** Same, with the minimum over positions ("every region must look in-distribution"). */
  pIdMin: number;
  predicted: number;
}

/** The adapt run's own heads on adapted features (rows of an adaptedFeatureStore without projection: the heads
 * trained on the full map). */
export async function scoreAdaptedHeads(
  heads: HeadWeights,
  adapted: FeatureStore,
  rows: readonly number[],
): Promise<HeadScore[]> {
  const { mapH, mapW, mapC } = adapted.layout;
  if (heads.channels !== mapC)
    throw new AppError(
      'invalid-argument',
      `the adapt run's heads read ${heads.channels} channels, these features have ${mapC}: score the unprojected map`,
    );
  const p = mapH * mapW;
  const h = headTensors(heads);
  const out: HeadScore[] = [];
  try {
    for (const part of chunks(rows, CHUNK)) {
      const maps = await adapted.maps(part);
      const [logit, minLogit, pred] = tf.tidy(() => {
        const x = tf.tensor2d(maps, [part.length * p, mapC]);
        const l = tf.reshape(oodLogits(x, h, heads.scale), [part.length, p]);
        const pooled = tf.mean<tf.Tensor2D>(tf.reshape(x, [part.length, p, mapC]), 1);
        return [tf.mean(l, 1).dataSync(), tf.min(l, 1).dataSync(), tf.argMax(clsLogits(pooled, h), 1).dataSync()];
      });
      const sig = (v: number): number => 1 / (1 + Math.exp(-v));
      part.forEach((_, i) => out.push({ pId: sig(logit[i]!), pIdMin: sig(minLogit[i]!), predicted: pred[i]! }));
    }
  } finally {
    tf.dispose(Object.values(h));
  }
  return out;
}
