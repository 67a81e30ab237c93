// The adapt jobs. train-adapt: train the backbone's top with SSOD's loss on the cached block-12 maps, save the
// adapted weights, and write every requested image's adapted features to the feature cache under the adapted
// key, so the ordinary train job (heads, scorers, out-of-fold scores) runs on trained features unchanged and a
// retrain after review costs what a heads retrain costs. adapt-features: adapted features for new images.
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { AppError } from '../../shared/errors.js';
import { adaptedKey, adaptMaps, clearCheckpoint, loadAdapted, saveAdapted, trainAdapt } from '../adapt/index.js';
import type { AdaptedModel, AdaptProgress } from '../adapt/index.js';
import { openFeatureCache, readCacheLayout, type FeatureCache } from '../features/feature-cache.js';
import { throwIfCancelled } from './cancel.js';
import type { EngineJobContext } from './job-context.js';
import type { AdaptFeaturesRequest, AdaptFeaturesResult, AdaptRequest, AdaptJobResult } from './protocol.js';

const CHUNK = 64;

async function openBase(cacheDir: string, key: string): Promise<FeatureCache> {
  const layout = await readCacheLayout(cacheDir, key);
  if (!layout) throw new AppError('not-found', `no cached features for backbone ${key} in ${cacheDir}`);
  return openFeatureCache(cacheDir, key, layout);
}

function checkRequest(req: AdaptRequest): void {
  if (!Array.isArray(req.train) || req.train.length === 0)
    throw new AppError('invalid-argument', 'train-adapt: at least one training image is needed');
  if (!Array.isArray(req.classes) || req.classes.length === 0)
    throw new AppError('invalid-argument', 'train-adapt: classes must not be empty');
  if (typeof req.modelOut !== 'string' || !req.modelOut.endsWith('.json'))
    throw new AppError('invalid-argument', 'train-adapt: modelOut must be a .json path');
  for (const t of req.train)
    if (typeof t?.sha256 !== 'string' || !Number.isInteger(t.label))
      throw new AppError('invalid-argument', `train-adapt: bad item ${JSON.stringify(t)}`);
  if (req.budgetSeconds !== undefined && !(Number.isFinite(req.budgetSeconds) && req.budgetSeconds > 0))
    throw new AppError('invalid-argument', `train-adapt: budgetSeconds must be a positive number of seconds`);
}

/** Adapted features of `shas` (those not cached yet) from the base cache into the adapted cache. */
async function writeAdaptedFeatures(
  model: AdaptedModel,
  key: string,
  base: FeatureCache,
  cacheDir: string,
  shas: readonly string[],
  ctx: EngineJobContext,
): Promise<{ written: number; cached: number }> {
  const out = await openFeatureCache(cacheDir, key, model.layout);
  try {
    const todo = [...new Set(shas)].filter((s) => !out.has(s));
    const store = base.featureStore(todo);
    const mapSize = model.layout.mapH * model.layout.mapW * model.layout.mapC;
    for (let at = 0; at < todo.length; at += CHUNK) {
      throwIfCancelled(ctx.signal, 'adapted features');
      const rows = Array.from({ length: Math.min(CHUNK, todo.length - at) }, (_, i) => at + i);
      const { maps, pooled } = adaptMaps(
        model.top,
        await store.maps(rows),
        rows.length,
        model.inputLayout,
        model.projection,
      );
      rows.forEach((r, i) =>
        out.append(
          todo[r]!,
          maps.subarray(i * mapSize, (i + 1) * mapSize),
          pooled.subarray(i * model.layout.pooledC, (i + 1) * model.layout.pooledC),
        ),
      );
      ctx.progress({ phase: 'adapt-features', done: at + rows.length, total: todo.length });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await out.flush();
    return { written: todo.length, cached: new Set(shas).size - todo.length };
  } finally {
    await out.close();
  }
}

/** Adapt progress as one 'adapt' phase whose done/total count training steps over the whole run (so the
 * engine's ETA is the run's), the sub-phase in the message. */
function progressOf(ctx: EngineJobContext): (p: AdaptProgress) => void {
  let stepsPerEpoch = 1;
  return (p) => {
    if (p.phase === 'train') stepsPerEpoch = p.total;
    const done =
      p.phase === 'train' ? (p.epoch - 1) * stepsPerEpoch + p.done : Math.max(0, p.epoch - 1) * stepsPerEpoch;
    ctx.progress({
      phase: 'adapt',
      done,
      total: Math.max(done, p.epochs * stepsPerEpoch),
      ...(p.loss !== undefined ? { loss: p.loss } : {}),
      message: `${p.phase}, epoch ${p.epoch} of ${p.epochs}`,
    });
  };
}

export async function runTrainAdapt(req: AdaptRequest, ctx: EngineJobContext): Promise<AdaptJobResult> {
  const t0 = performance.now();
  checkRequest(req);
  const base = await openBase(req.cacheDir, req.backboneKey);
  try {
    const shas = req.train.map((t) => t.sha256);
    const checkpointDir =
      req.checkpointDir ??
      join(dirname(req.modelOut), `${req.modelOut.replace(/^.*[\\/]/, '').replace(/\.json$/, '')}.checkpoint`);
    await mkdir(checkpointDir, { recursive: true });
    const result = await trainAdapt({
      features: base.featureStore(shas),
      classes: req.classes,
      train: req.train.map((t, row) => ({ row, label: t.label })),
      ...(req.config ? { config: req.config } : {}),
      ...(req.budgetSeconds !== undefined ? { budgetSeconds: req.budgetSeconds } : {}),
      checkpointDir,
      onProgress: progressOf(ctx),
      signal: ctx.signal,
    });
    throwIfCancelled(ctx.signal, 'adapt training');
    ctx.progress({ phase: 'save-model', done: 0, total: 1 });
    const model: AdaptedModel = { ...result, ...(req.preprocess ? { preprocess: req.preprocess } : {}) };
    const sha256 = await saveAdapted(req.modelOut, model);
    const key = adaptedKey(sha256, req.preprocess);
    const { written } = await writeAdaptedFeatures(
      model,
      key,
      base,
      req.cacheDir,
      [...shas, ...(req.score ?? [])],
      ctx,
    );
    await clearCheckpoint(checkpointDir);
    const { top: _top, heads: _heads, projection, ...rest } = result;
    const summary = {
      ...rest,
      ...(projection ? { projection: { c: projection.c, k: projection.k, energyKept: projection.energyKept } } : {}),
    };
    return {
      adaptedKey: key,
      modelPath: req.modelOut,
      sha256,
      layout: result.layout,
      summary,
      written,
      backend: ctx.backend,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await base.close();
  }
}

export async function runAdaptFeatures(req: AdaptFeaturesRequest, ctx: EngineJobContext): Promise<AdaptFeaturesResult> {
  const t0 = performance.now();
  if (!Array.isArray(req.items)) throw new AppError('invalid-argument', 'adapt-features: items must be a list');
  const { model, sha256 } = await loadAdapted(req.modelPath);
  const key = adaptedKey(sha256, model.preprocess);
  const base = await openBase(req.cacheDir, req.backboneKey);
  try {
    const missing = req.items.filter((s) => !base.has(s));
    if (missing.length > 0)
      throw new AppError('not-found', `adapt-features: ${missing.length} image(s) have no cached block-12 maps yet`);
    const { written, cached } = await writeAdaptedFeatures(model, key, base, req.cacheDir, req.items, ctx);
    return { adaptedKey: key, written, cached, backend: ctx.backend, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await base.close();
  }
}
