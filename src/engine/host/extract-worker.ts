// One extraction worker thread with its own backbone: the ONNX model on ONNX Runtime (one session, `threads`
// intra-op threads) when the engine prepared one, else tfjs on its own backend (single-threaded wasm SIMD: the
// wasm thread pool does not start under Node, so parallelism is one worker per core). Every image of a batch
// starts decoding (sharp, on libuv threads) the moment the batch arrives; the forward pass runs in chunks of the
// measured best size as soon as a chunk's images are decoded, so decoding overlaps inference within a batch and
// across the two batches in flight.

import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import type { Backbone, BackendChoice, BackendName, PreprocessSpec } from '../types.js';
import { encodeFloat16 } from '../features/float16.js';
import { loadEngineDeps, type EngineDeps } from './engine-deps.js';
import type { BatchResult, StageTiming, WorkerInit, WorkerReply, WorkerRequest } from './extract-pool.js';
import type { CropBox, ImageItem } from './protocol.js';

const init = workerData as WorkerInit;
/** Forward-pass batch sizes timed at start on the ONNX path: at 224 batches over 8 lose cache locality (the
 * expanded activations of a batch outgrow the caches); small inputs can gain up to 16. */
function batchCandidates(size: number): number[] {
  return size <= 160 ? [1, 2, 4, 8, 16] : [1, 2, 4, 8];
}

/** Crops always decode with the real preprocessing (a test double's decoder knows nothing of crops); it is loaded
 * on the first crop only. */
async function decodeCrop(path: string, spec: PreprocessSpec, crop: CropBox): Promise<Float32Array> {
  return (await import('../backbones/preprocess.js')).decodeForBackbone(path, spec, crop);
}
const port = parentPort;
if (!port) throw new Error('extract-worker must run in a worker thread');

function post(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(msg, transfer);
}

interface Loaded {
  backbone: Backbone;
  /** ONNX Runtime only: the forward pass with the maps already float16 (the cache's format). */
  half?: (pixels: Float32Array, n: number) => Promise<{ maps16: Uint16Array; pooled: Float32Array }>;
  backend: BackendChoice;
  inferBatch: number;
  timings?: { batch: number; msPerImage: number }[];
}

async function loadWorkerBackbone(deps: EngineDeps): Promise<Loaded> {
  if (init.onnx !== undefined && init.choice !== undefined) {
    const onnx = await import('../onnx/onnx-backbone.js');
    const backbone = await onnx.loadOnnxBackbone(init.onnx);
    const timings = await onnx.timeBatches(backbone, batchCandidates(backbone.preprocess.size));
    const half: Loaded['half'] = (pixels, n) => backbone.extractHalf(pixels, n);
    return { backbone, half, backend: init.choice, inferBatch: onnx.pickBatch(timings), timings };
  }
  const backend = await deps.selectBackend(init.backend as BackendName | undefined);
  const backbone = await deps.loadBackbone(init.backbone.spec, {
    inputSize: init.backbone.inputSize,
    mapLayer: init.backbone.mapLayer,
    pooledLayer: init.backbone.pooledLayer,
    cacheDir: init.backbone.modelCacheDir,
  });
  return { backbone, backend, inferBatch: Number.POSITIVE_INFINITY };
}

/** Starts decoding every item of a batch at once (sharp queues them on its threads). */
function startDecodes(deps: EngineDeps, items: ImageItem[], spec: PreprocessSpec): Promise<Float32Array>[] {
  return items.map((it) => (it.crop ? decodeCrop(it.path, spec, it.crop) : deps.decodeForBackbone(it.path, spec)));
}

class BatchRunner {
  private readonly pixelsPer: number;
  private readonly mapN: number;

  constructor(private readonly loaded: Loaded) {
    const { preprocess, layout } = loaded.backbone;
    this.pixelsPer = preprocess.size * preprocess.size * 3;
    this.mapN = layout.mapH * layout.mapW * layout.mapC;
  }

  /** Runs one message batch chunk by chunk as its decodes finish; features land in arrays sized for the batch. */
  async run(msg: Extract<WorkerRequest, { type: 'batch' }>, decodes: Promise<Float32Array>[]): Promise<BatchResult> {
    const { backbone, inferBatch } = this.loaded;
    const n = msg.items.length;
    const maps = new Uint16Array(n * this.mapN);
    const pooled = new Float32Array(n * backbone.layout.pooledC);
    const timing: StageTiming = { waitMs: 0, inferMs: 0, encodeMs: 0 };
    const shas: string[] = [];
    const failed: BatchResult['failed'] = [];
    const step = Math.min(inferBatch, n);
    for (let start = 0; start < n; start += step) {
      const t0 = performance.now();
      const settled = await Promise.allSettled(decodes.slice(start, start + step));
      timing.waitMs += performance.now() - t0;
      const ok: Float32Array[] = [];
      settled.forEach((s, k) => {
        const item = msg.items[start + k] as ImageItem;
        if (s.status === 'fulfilled' && s.value.length === this.pixelsPer) {
          ok.push(s.value);
          shas.push(item.sha256);
          return;
        }
        const error =
          s.status === 'rejected'
            ? serializeError(s.reason)
            : { code: 'internal', message: `decoded ${s.value.length} values, expected ${this.pixelsPer}` };
        failed.push({ sha256: item.sha256, path: item.path, code: error.code, message: error.message });
      });
      if (ok.length > 0) await this.forward(ok, shas.length - ok.length, maps, pooled, timing);
    }
    const m = shas.length;
    return {
      id: msg.id,
      shas,
      maps: m === n ? maps : maps.slice(0, m * this.mapN),
      pooled: m === n ? pooled : pooled.slice(0, m * backbone.layout.pooledC),
      failed,
      timing,
    };
  }

  private async forward(
    ok: Float32Array[],
    row: number,
    maps: Uint16Array,
    pooled: Float32Array,
    timing: StageTiming,
  ): Promise<void> {
    const { backbone } = this.loaded;
    // One image needs no batch buffer: its decoded array is the input as it is.
    let pixels = ok[0] as Float32Array;
    if (ok.length > 1) {
      pixels = new Float32Array(ok.length * this.pixelsPer);
      ok.forEach((p, k) => pixels.set(p, k * this.pixelsPer));
    }
    const pooledC = backbone.layout.pooledC;
    const t1 = performance.now();
    if (this.loaded.half) {
      const out = await this.loaded.half(pixels, ok.length);
      timing.inferMs += performance.now() - t1;
      maps.set(out.maps16, row * this.mapN);
      pooled.set(out.pooled, row * pooledC);
      return;
    }
    const out = await backbone.extract(pixels, ok.length);
    const t2 = performance.now();
    timing.inferMs += t2 - t1;
    if (out.maps.length !== ok.length * this.mapN || out.pooled.length !== ok.length * pooledC) {
      throw new Error(`backbone ${backbone.key} returned features that do not match its layout`);
    }
    // Encoding here, not in the engine thread, keeps the cache writer's share of the work small; the pooled rows
    // are copied because the backbone may own its output buffer.
    encodeFloat16(out.maps, maps.subarray(row * this.mapN, (row + ok.length) * this.mapN));
    pooled.set(out.pooled, row * pooledC);
    timing.encodeMs += performance.now() - t2;
  }
}

async function main(): Promise<void> {
  const deps = await loadEngineDeps(init.depsModule);
  const loaded = await loadWorkerBackbone(deps);
  const { backbone } = loaded;
  const runner = new BatchRunner(loaded);

  // Batches run strictly in arrival order; each one's decodes were started when it arrived.
  let chain: Promise<void> = Promise.resolve();
  port?.on('message', (msg: WorkerRequest) => {
    if (msg.type !== 'batch') return;
    const decodes = startDecodes(deps, msg.items, backbone.preprocess);
    for (const d of decodes) d.catch(() => undefined); // failures are reported per item by the runner
    chain = chain.then(async () => {
      const result = await runner.run(msg, decodes);
      post({ type: 'result', result }, [result.maps.buffer as ArrayBuffer, result.pooled.buffer as ArrayBuffer]);
    });
    chain = chain.catch((e: unknown) => {
      post({ type: 'error', error: serializeError(e) });
    });
  });

  const { key, identity, preprocess, layout } = backbone;
  post({
    type: 'ready',
    info: {
      key,
      identity,
      preprocess,
      layout,
      backend: loaded.backend,
      inferBatch: Number.isFinite(loaded.inferBatch) ? loaded.inferBatch : 0,
      ...(loaded.timings ? { batchTimings: loaded.timings } : {}),
    },
  });
}

main().catch((e: unknown) => {
  post({ type: 'error', error: serializeError(e) });
});
