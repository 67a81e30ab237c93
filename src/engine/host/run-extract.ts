// The extract job: pick the extraction runtime (ONNX Runtime where the backbone converts and the runtime loads,
// else tfjs; see backends/runtime-chain.ts), load (or reuse) the worker pool, skip images already in the feature
// cache, extract the rest in batches across the workers and commit them to the cache as they arrive.

import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { isRelativeCrop } from '../backbones/crop.js';
import { tfjsChoiceAfter } from '../backends/runtime-chain.js';
import { openFeatureCache } from '../features/feature-cache.js';
import type { BackendChoice } from '../types.js';
import { throwIfCancelled } from './cancel.js';
import { ExtractPool, type BatchResult, type WorkerInit } from './extract-pool.js';
import { onnxWorkerInit, type RuntimePlan } from './extract-runtime.js';
import type { EngineJobContext } from './job-context.js';
import type { CropBox, ExtractFailure, ExtractRequest, ExtractResult, ImageItem } from './protocol.js';

const DEFAULT_BATCH = 8;
const FSYNC_EVERY_MS = 2000;

/** A crop box inside the image (a little slack for rounding in x + w). */
function isCrop(c: CropBox): boolean {
  return isRelativeCrop(c) && c.x + c.w <= 1 + 1e-6 && c.y + c.h <= 1 + 1e-6;
}

function checkRequest(req: ExtractRequest): void {
  if (!Array.isArray(req.items)) throw new AppError('invalid-argument', 'extract: items must be an array');
  for (const it of req.items) {
    if (typeof it?.path !== 'string' || typeof it.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(it.sha256)) {
      throw new AppError('invalid-argument', `extract: bad item ${JSON.stringify(it)}`);
    }
    if (it.crop !== undefined && !isCrop(it.crop)) {
      throw new AppError('invalid-argument', `extract: bad crop ${JSON.stringify(it.crop)} (x, y, w, h in [0, 1])`);
    }
  }
  if (typeof req.cacheDir !== 'string' || req.cacheDir === '') {
    throw new AppError('invalid-argument', 'extract: cacheDir is required');
  }
  if (typeof req.backbone?.spec !== 'string')
    throw new AppError('invalid-argument', 'extract: backbone.spec is required');
  const b = req.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(b) || b < 1 || b > 256) {
    throw new AppError('invalid-argument', `extract: batchSize must be 1..256, got ${String(b)}`);
  }
}

/** Native TensorFlow parallelises inside one op: extra workers would only compete. */
function workerCount(ctx: EngineJobContext): number {
  return ctx.backend.name === 'tensorflow' || ctx.backend.name === 'tensorflow-gpu' ? 1 : ctx.workers;
}

async function startPool(
  init: WorkerInit,
  count: number,
  req: ExtractRequest,
  ctx: EngineJobContext,
): Promise<ExtractPool> {
  const existing = ctx.pool.current;
  if (existing && existing.signature === ExtractPool.signatureOf(init) && existing.size === count) return existing;
  ctx.pool.current = undefined;
  await existing?.terminate();
  const runtime = init.onnx ? `onnxruntime, ${init.onnx.threads} thread(s) each` : ctx.backend.name;
  ctx.progress({
    phase: 'load-backbone',
    done: 0,
    total: 1,
    message: `${count} worker(s) (${runtime}), ${req.backbone.spec}`,
  });
  const pool = await ExtractPool.start(count, init);
  ctx.pool.current = pool;
  return pool;
}

/** The pool on the fastest runtime that starts, and the choice to record (with why faster ones were skipped). */
async function ensurePool(
  req: ExtractRequest,
  ctx: EngineJobContext,
): Promise<{ pool: ExtractPool; backend: BackendChoice }> {
  const base: WorkerInit = {
    backend: ctx.backend.name,
    backbone: { ...req.backbone, modelCacheDir: req.backbone.modelCacheDir ?? join(req.cacheDir, 'models') },
    depsModule: ctx.options.depsModule,
  };
  const count = workerCount(ctx);
  const plan: RuntimePlan = await onnxWorkerInit(base, count, ctx);
  let reason = plan.reason;
  if (plan.init) {
    try {
      const pool = await startPool(plan.init, count, req, ctx);
      return { pool, backend: pool.info.backend };
    } catch (e) {
      reason = `failed to start: ${e instanceof Error ? e.message : String(e)}`;
      if (plan.forced) throw new AppError('invalid-argument', `backend "${plan.forced}" is not available: ${reason}`);
      plan.report(reason);
    }
  }
  const pool = await startPool(base, workerCount(ctx), req, ctx);
  return { pool, backend: tfjsChoiceAfter(pool.info.backend, reason) };
}

/** Sums the workers' stage timings (ms) of every batch. */
function addTiming(total: { waitMs: number; inferMs: number; encodeMs: number }, r: BatchResult): void {
  total.waitMs += r.timing.waitMs;
  total.inferMs += r.timing.inferMs;
  total.encodeMs += r.timing.encodeMs;
}

export async function runExtract(req: ExtractRequest, ctx: EngineJobContext): Promise<ExtractResult> {
  checkRequest(req);
  const t0 = performance.now();
  const { pool, backend } = await ensurePool(req, ctx);
  throwIfCancelled(ctx.signal, 'extraction');
  const { info } = pool;
  const cache = await openFeatureCache(req.cacheDir, info.key, info.layout);
  const mapN = info.layout.mapH * info.layout.mapW * info.layout.mapC;
  const pooledC = info.layout.pooledC;

  // Same content in two files is extracted once (a crop's key names the view, so the same view too).
  const unique = new Map<string, ImageItem>();
  for (const it of req.items) if (!unique.has(it.sha256)) unique.set(it.sha256, it);
  const todo = [...unique.values()].filter((it) => !cache.has(it.sha256));
  const cached = unique.size - todo.length;

  const failed: ExtractFailure[] = [];
  const timing = { waitMs: 0, inferMs: 0, encodeMs: 0, writeMs: 0 };
  let extracted = 0;
  let lastSync = performance.now();
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  ctx.progress({ phase: 'extract', done: 0, total: todo.length });
  try {
    await pool.run(
      todo,
      // A message batch holds at least one forward pass of the size the workers measured best.
      req.batchSize ?? Math.max(DEFAULT_BATCH, info.inferBatch),
      (r) => {
        const w0 = performance.now();
        addTiming(timing, r);
        r.shas.forEach((sha, k) => {
          cache.append(
            sha,
            r.maps.subarray(k * mapN, (k + 1) * mapN),
            r.pooled.subarray(k * pooledC, (k + 1) * pooledC),
          );
        });
        extracted += r.shas.length;
        failed.push(...r.failed);
        if (performance.now() - lastSync > FSYNC_EVERY_MS) {
          void cache.flush();
          lastSync = performance.now();
        }
        timing.writeMs += performance.now() - w0;
        ctx.progress({ phase: 'extract', done: extracted + failed.length, total: todo.length });
      },
      ctx.signal,
    );
  } catch (e) {
    // What arrived is committed; a pool that was cancelled or failed mid-batch is not reused.
    ctx.pool.current = undefined;
    await pool.terminate();
    throw e;
  } finally {
    await cache.close();
  }
  const extractSeconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    backboneKey: info.key,
    identity: info.identity,
    preprocess: info.preprocess,
    layout: info.layout,
    backend,
    workers: pool.size,
    extracted,
    cached,
    failed,
    seconds: (performance.now() - t0) / 1000,
    extractSeconds,
    imagesPerSecond: extractSeconds > 0 ? extracted / extractSeconds : 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stages: {
      decodeWaitSeconds: timing.waitMs / 1000,
      inferSeconds: timing.inferMs / 1000,
      encodeSeconds: timing.encodeMs / 1000,
      writeSeconds: timing.writeMs / 1000,
    },
    inferBatch: info.inferBatch > 0 ? info.inferBatch : (req.batchSize ?? DEFAULT_BATCH),
  };
}
