// The train and score jobs: read features from the cache (never the images), run the SSOD heads, save the model.

import { AppError } from '../../shared/errors.js';
import { openFeatureCache, readCacheLayout, type FeatureCache } from '../features/feature-cache.js';
import type { FeatureStore, ImageScore } from '../types.js';
import { throwIfCancelled } from './cancel.js';
import type { EngineJobContext } from './job-context.js';
import { loadModel, saveModel } from './model-file.js';
import { loadWarm, saveWarm, warmPath } from './warm-file.js';
import type { ScoreRequest, ScoreResult, ShaScore, TrainRequest, TrainResult } from './protocol.js';

async function openForKey(cacheDir: string, backboneKey: string): Promise<FeatureCache> {
  const layout = await readCacheLayout(cacheDir, backboneKey);
  if (!layout) throw new AppError('not-found', `no cached features for backbone ${backboneKey} in ${cacheDir}`);
  return openFeatureCache(cacheDir, backboneKey, layout);
}

/** Every read checks the job's signal, so a trainer that only reads features still stops promptly on cancel. */
function cancellable(store: FeatureStore, signal: AbortSignal): FeatureStore {
  return {
    layout: store.layout,
    count: store.count,
    maps: (rows) => {
      throwIfCancelled(signal);
      return store.maps(rows);
    },
    pooled: (rows) => {
      throwIfCancelled(signal);
      return store.pooled(rows);
    },
    ...(store.readInto
      ? {
          readInto: (kind: 'maps' | 'pooled', rows: readonly number[], out: Float32Array): boolean => {
            throwIfCancelled(signal);
            return store.readInto!(kind, rows, out);
          },
        }
      : {}),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function withShas(scores: ImageScore[], shas: readonly string[]): ShaScore[] {
  return scores.map((s) => ({ ...s, sha256: shas[s.row] ?? '' }));
}

export async function runTrain(req: TrainRequest, ctx: EngineJobContext): Promise<TrainResult> {
  const t0 = performance.now();
  if (!Array.isArray(req.train) || req.train.length === 0) {
    throw new AppError('invalid-argument', 'train: at least one training image is needed');
  }
  if (!Array.isArray(req.classes) || req.classes.length === 0) {
    throw new AppError('invalid-argument', 'train: classes must not be empty');
  }
  if (typeof req.modelOut !== 'string' || !req.modelOut.endsWith('.json')) {
    throw new AppError('invalid-argument', 'train: modelOut must be a .json path');
  }
  const cache = await openForKey(req.cacheDir, req.backboneKey);
  try {
    const shas = [...req.train.map((t) => t.sha256), ...(req.score ?? [])];
    const features = cancellable(cache.featureStore(shas), ctx.signal);
    const config = { ...(await ctx.deps.defaultHeadsConfig()), ...(req.config ?? {}) };
    const warm = req.warmFrom ? await loadWarm(warmPath(req.warmFrom), req.backboneKey) : undefined;
    const result = await ctx.deps.trainHeads({
      features,
      classes: req.classes,
      train: req.train.map((t, row) => ({
        row,
        label: t.label,
        ...(t.source !== undefined ? { source: t.source } : {}),
        // Augmented views share their source's content hash: only real images carry it as their key.
        ...(t.source === undefined ? { key: t.sha256 } : {}),
      })),
      scoreRows: (req.score ?? []).map((_, j) => req.train.length + j),
      config,
      onProgress: (p) => ctx.progress(p),
      signal: ctx.signal,
      ...(warm && !('cold' in warm) ? { warmStart: warm } : {}),
    });
    throwIfCancelled(ctx.signal, 'training');
    ctx.progress({ phase: 'save-model', done: 0, total: 1 });
    await saveModel(req.modelOut, req.backboneKey, result.model);
    if (result.warm) await saveWarm(warmPath(req.modelOut), req.backboneKey, result.warm);
    if (warm && 'cold' in warm && isRecord(result.metrics.warmStart)) result.metrics.warmStart.reason = warm.cold;
    const { model: _model, scores, warm: _warm, ...rest } = result;
    return {
      ...rest,
      scores: withShas(scores, shas),
      modelPath: req.modelOut,
      backend: ctx.backend,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await cache.close();
  }
}

export async function runScore(req: ScoreRequest, ctx: EngineJobContext): Promise<ScoreResult> {
  const t0 = performance.now();
  const { backboneKey, model } = await loadModel(req.modelPath);
  const cache = await openForKey(req.cacheDir, req.backboneKey ?? backboneKey);
  try {
    const features = cancellable(cache.featureStore(req.items), ctx.signal);
    ctx.progress({ phase: 'score', done: 0, total: req.items.length });
    const rows = req.items.map((_, i) => i);
    const scores = await ctx.deps.scoreWithHeads(model, features, rows, ctx.signal);
    throwIfCancelled(ctx.signal, 'scoring');
    ctx.progress({ phase: 'score', done: req.items.length, total: req.items.length });
    return { scores: withShas(scores, req.items), backend: ctx.backend, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await cache.close();
  }
}
