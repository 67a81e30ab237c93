// A pool of extraction worker threads, one per core. The engine thread hands out batches (two in flight per
// worker, so each always has the next batch decoding while it computes) and writes results to the cache.
// The pool survives between jobs with the same backbone; a cancel terminates it (an in-flight forward pass
// cannot be interrupted) and the next job starts a new one.

import { Worker } from 'node:worker_threads';
import { AppError, deserializeError, type SerializedError } from '../../shared/errors.js';
import type { OnnxBackboneSpec } from '../onnx/onnx-backbone.js';
import type { BackendChoice, FeatureLayout, PreprocessSpec } from '../types.js';
import type { BackboneRequest, ExtractFailure, ImageItem } from './protocol.js';

export interface WorkerInit {
  backend?: string;
  backbone: BackboneRequest;
  depsModule?: string;
  /** Run this converted model on ONNX Runtime instead of loading the backbone on tfjs. */
  onnx?: OnnxBackboneSpec;
  /** The extraction choice to report when `onnx` runs. */
  choice?: BackendChoice;
}

export interface BackboneInfo {
  key: string;
  identity: Record<string, string>;
  preprocess: PreprocessSpec;
  layout: FeatureLayout;
  backend: BackendChoice;
  /** Images per forward pass the worker chose by timing (0: the whole message batch at once). */
  inferBatch: number;
  /** What that choice was made from: per-image milliseconds at each batch size tried. */
  batchTimings?: { batch: number; msPerImage: number }[];
}

/** Where a batch's time went in its worker, in milliseconds. */
export interface StageTiming {
  /** The forward pass waited this long for its images to decode (decode is the bottleneck when this is large). */
  waitMs: number;
  inferMs: number;
  /** float16 encoding of the maps and copying out the pooled rows. */
  encodeMs: number;
}

export interface BatchResult {
  id: number;
  /** Images extracted, in order; maps (float16 bits) and pooled rows follow the same order. */
  shas: string[];
  maps: Uint16Array;
  pooled: Float32Array;
  failed: ExtractFailure[];
  timing: StageTiming;
}

export type WorkerRequest = { type: 'batch'; id: number; items: ImageItem[] };
export type WorkerReply =
  | { type: 'ready'; info: BackboneInfo }
  | { type: 'result'; result: BatchResult }
  | { type: 'error'; error: SerializedError };

const IN_FLIGHT_PER_WORKER = 2;

/** The worker runs from .ts under tsx (tests, CLI) or from .js once bundled. Node 20 does not apply the
 * parent's `--import tsx` to worker threads, so a .ts worker registers tsx itself before loading the module. */
function spawnWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./extract-worker.js', import.meta.url), { workerData: init });
  const entry = new URL('./extract-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

export class ExtractPool {
  private constructor(
    private readonly workers: Worker[],
    readonly info: BackboneInfo,
    readonly signature: string,
  ) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts `count` workers and waits until each has loaded its backend and backbone. */
  static async start(count: number, init: WorkerInit): Promise<ExtractPool> {
    const workers: Worker[] = [];
    try {
      const infos = await Promise.all(
        Array.from({ length: count }, () => {
          const w = spawnWorker(init);
          workers.push(w);
          return new Promise<BackboneInfo>((resolve, reject) => {
            const onMessage = (msg: WorkerReply): void => {
              if (msg.type === 'ready') resolve(msg.info);
              else if (msg.type === 'error') reject(deserializeError(msg.error));
              w.off('message', onMessage);
            };
            w.on('message', onMessage);
            w.once('error', reject);
            w.once('exit', (code) => reject(new AppError('engine-failed', `extraction worker exited (${code})`)));
          });
        }),
      );
      const info = infos[0];
      if (!info) throw new AppError('invalid-argument', 'an extraction pool needs at least one worker');
      return new ExtractPool(workers, info, ExtractPool.signatureOf(init));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
  }

  static signatureOf(init: WorkerInit): string {
    return JSON.stringify([init.backend ?? null, init.backbone, init.depsModule ?? null, init.onnx ?? null]);
  }

  /**
   * Runs every item through the workers; `onBatch` is called on the engine thread for each finished batch (in
   * completion order). Resolves when all are done; rejects on a worker failure or when `signal` aborts (then the
   * pool is terminated and must not be reused).
   */
  run(
    items: readonly ImageItem[],
    batchSize: number,
    onBatch: (r: BatchResult) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const batches: ImageItem[][] = [];
    for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
    if (batches.length === 0) return Promise.resolve();

    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let finished = 0;
      let settled = false;
      const cleanups: (() => void)[] = [];
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        for (const c of cleanups) c();
        if (error === undefined) resolve();
        else reject(error);
      };
      const dispatch = (w: Worker): void => {
        const id = next++;
        const batch = batches[id];
        if (batch) w.postMessage({ type: 'batch', id, items: batch } satisfies WorkerRequest);
      };
      for (const w of this.workers) {
        const onMessage = (msg: WorkerReply): void => {
          if (settled) return;
          if (msg.type === 'error') return finish(deserializeError(msg.error));
          if (msg.type !== 'result') return;
          try {
            onBatch(msg.result);
          } catch (e) {
            return finish(e instanceof Error ? e : new Error(String(e)));
          }
          finished++;
          if (finished === batches.length) return finish();
          if (!signal?.aborted) dispatch(w);
        };
        const onExit = (code: number): void =>
          finish(new AppError('engine-failed', `extraction worker exited (${code})`));
        const onError = (e: Error): void =>
          finish(new AppError('engine-failed', `extraction worker failed: ${e.message}`));
        w.on('message', onMessage);
        w.on('exit', onExit);
        w.on('error', onError);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('exit', onExit);
          w.off('error', onError);
        });
      }
      const onAbort = (): void => finish(new AppError('cancelled', 'extraction cancelled'));
      if (signal) {
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) for (const w of this.workers) dispatch(w);
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
