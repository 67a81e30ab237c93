// Runs a training run's models (K folds + the all-data model) one after the other, or side by side on worker
// threads, one per core: the wasm backend is single-threaded under Node, so one thread leaves a core idle.
// Workers read the training rows from the row cache's shared memory (no copy) and send back plain arrays.
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, deserializeError, type SerializedError } from '../../shared/errors.js';
import type { FeatureLayout, HeadsConfig, Progress, TrainItem } from '../types.js';
import { runModelJob, type LateInputs, type ModelContext, type ModelJob, type ModelResult } from './build-model.js';
import { cachedRowsOf, KEEP_IDLE_MS, type CachedRows } from './row-cache.js';
import { throwIfCancelled } from './train.js';

/** Below this many training images, starting workers (each loads tfjs) costs more than it saves. */
export const MIN_PARALLEL_ITEMS = 2000;

/** Backends a worker can load on its own and that compute exactly as the engine thread's does. */
const WORKER_BACKENDS = new Set(['wasm', 'cpu']);

/** Model worker threads for a run: SSOD_HEADS_WORKERS overrides (1 = sequential); else one per core, at most 2
 * (the models are few and unequal), and 1 for small runs. */
export function headsWorkerCount(items: number, jobs: number): number {
  const env = process.env.SSOD_HEADS_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new AppError('invalid-argument', `SSOD_HEADS_WORKERS must be >= 1`);
    return Math.min(n, jobs);
  }
  if (items < MIN_PARALLEL_ITEMS) return 1;
  return Math.max(1, Math.min(2, availableParallelism(), jobs));
}

export interface WorkerInit {
  backend: string;
  layout: FeatureLayout;
  count: number;
  cache: CachedRows;
  classes: string[];
  train: TrainItem[];
  config: HeadsConfig;
}

/** A run's context, then its jobs: workers outlive runs (see keptPool), so every run introduces itself. */
export type ToWorker =
  | { type: 'run'; init: WorkerInit }
  | { type: 'job'; job: ModelJob }
  | { type: 'late'; late: LateInputs }
  | { type: 'end' };
export type FromWorker =
  | { type: 'progress'; event: Progress }
  | { type: 'result'; result: ModelResult }
  | { type: 'error'; error: SerializedError };

/** Same start-up as the extraction pool: a .ts worker registers tsx itself (Node 20 does not pass --import). */
function spawnWorker(): Worker | undefined {
  if (!import.meta.url.endsWith('.ts')) {
    const js = new URL('./heads-worker.js', import.meta.url);
    return existsSync(fileURLToPath(js)) ? new Worker(js) : undefined;
  }
  const entry = new URL('./heads-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

/** Starting a worker (tfjs, the wasm backend, the trainer's modules) takes ~2.4 s here, a tenth of a retrain: the
 * engine keeps its model workers between runs, unref'd (they never hold the process open) and ended after
 * KEEP_IDLE_MS without a run, or after any run that failed or was cancelled (a worker may be mid-job). */
let kept: { backend: string; workers: Worker[]; timer?: NodeJS.Timeout } | undefined;

/** Only the events we listen to: removeAllListeners() would also drop Node's own listeners on the Worker. */
function forgetListeners(w: Worker): void {
  for (const event of ['message', 'error', 'exit']) w.removeAllListeners(event);
}

function takePool(backend: string, n: number): Worker[] {
  if (kept) clearTimeout(kept.timer);
  if (kept && kept.backend !== backend) dropPool();
  const workers = kept?.workers ?? [];
  kept = undefined;
  for (const w of workers) forgetListeners(w);
  while (workers.length < n) {
    const w = spawnWorker();
    if (!w) break;
    w.unref();
    workers.push(w);
  }
  for (const w of workers.splice(n)) void w.terminate();
  return workers;
}

function keepPool(backend: string, workers: Worker[]): void {
  for (const w of workers) {
    forgetListeners(w);
    // Let go of the run's shared row cache (hundreds of MB) while idle.
    w.postMessage({ type: 'end' } satisfies ToWorker);
    // A kept worker that fails or exits takes the pool with it (and must never crash the engine).
    w.once('error', dropPool);
    w.once('exit', dropPool);
  }
  kept = { backend, workers };
  kept.timer = setTimeout(dropPool, KEEP_IDLE_MS);
  kept.timer.unref();
}

/** Ends the kept workers (also for tests and shutdown). */
export function dropPool(): void {
  const k = kept;
  kept = undefined;
  if (!k) return;
  clearTimeout(k.timer);
  for (const w of k.workers) void w.terminate();
}

/** A run's context without its late inputs (runModelJobs computes them). */
export type RunContext = Omit<ModelContext, 'late'>;

async function runSequential(ctx: ModelContext, jobs: readonly ModelJob[]): Promise<ModelResult[]> {
  const out: ModelResult[] = [];
  for (const job of jobs) {
    throwIfCancelled(ctx.signal);
    out.push(await runModelJob(ctx, job));
  }
  return out;
}

/** Results in the order of `jobs`, whatever order they finish in, how many threads trained them, and the late
 * inputs. Those are computed here on the engine thread after the jobs are sent, so they overlap the training
 * (a model needs them only once it has trained) instead of holding every worker back. */
export async function runModelJobs(
  ctx: RunContext,
  jobs: readonly ModelJob[],
  workers: number,
  computeLate: () => Promise<LateInputs>,
): Promise<{ results: ModelResult[]; threads: number; late: LateInputs }> {
  const cache = cachedRowsOf(ctx.features);
  const backend = tf.getBackend();
  const sequential = async (): Promise<{ results: ModelResult[]; threads: number; late: LateInputs }> => {
    const late = await computeLate();
    return { results: await runSequential({ ...ctx, late: Promise.resolve(late) }, jobs), threads: 1, late };
  };
  if (workers <= 1 || !cache || !WORKER_BACKENDS.has(backend)) return sequential();
  const init: WorkerInit = {
    backend,
    layout: ctx.features.layout,
    count: ctx.features.count,
    cache,
    classes: ctx.classes,
    train: ctx.train,
    config: ctx.config,
  };
  const pool = takePool(backend, workers);
  if (pool.length === 0) return sequential();
  for (const w of pool) w.postMessage({ type: 'run', init } satisfies ToWorker);
  let ok = false;
  // Largest first (the all-data model trains on every item), so the last job to start is a short one.
  const queue = jobs.map((j, k) => k).sort((a, b) => jobs[b]!.itemIdx.length - jobs[a]!.itemIdx.length || a - b);
  const results = new Array<ModelResult>(jobs.length);
  let late: LateInputs | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let settled = false;
      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        if (e) reject(e);
        else resolve();
      };
      const onAbort = (): void => finish(new AppError('cancelled', 'training was cancelled'));
      if (ctx.signal?.aborted) return onAbort();
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      const pending = new Map<Worker, number>();
      const dispatch = (w: Worker): void => {
        const k = queue.shift();
        if (k === undefined) return;
        pending.set(w, k);
        w.postMessage({ type: 'job', job: jobs[k]! } satisfies ToWorker);
      };
      for (const w of pool) {
        w.on('message', (msg: FromWorker) => {
          if (settled) return;
          if (msg.type === 'progress') ctx.onProgress?.(msg.event);
          else if (msg.type === 'error') finish(deserializeError(msg.error));
          else {
            results[pending.get(w)!] = msg.result;
            if (++done === jobs.length) finish();
            else dispatch(w);
          }
        });
        w.once('error', (e) => finish(new AppError('engine-failed', `heads worker failed: ${e.message}`)));
        w.once('exit', (code) => finish(new AppError('engine-failed', `heads worker exited (${code})`)));
        dispatch(w);
      }
      computeLate().then((value) => {
        late = value;
        if (!settled) for (const w of pool) w.postMessage({ type: 'late', late: value } satisfies ToWorker);
      }, finish);
    });
    ok = true;
  } finally {
    if (ok) keepPool(backend, pool);
    else await Promise.all(pool.map((w) => w.terminate()));
  }
  if (!late) throw new Error('the late inputs of the run are missing');
  return { results, threads: pool.length, late };
}
