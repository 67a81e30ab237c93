// One extraction worker thread: its own tfjs backend (single-threaded wasm SIMD: the wasm thread pool does not
// start under Node, so parallelism is one worker per core) and its own backbone. Decoding a batch starts as soon
// as it arrives, so sharp (libuv threads) decodes batch k+1 while this thread runs the forward pass of batch k.

import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import type { BackendName, PreprocessSpec } from '../types.js';
import { encodeFloat16 } from '../features/float16.js';
import { loadEngineDeps } from './engine-deps.js';
import type { BatchResult, WorkerInit, WorkerReply, WorkerRequest } from './extract-pool.js';
import type { CropBox } from './protocol.js';

const init = workerData as WorkerInit;

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

async function main(): Promise<void> {
  const deps = await loadEngineDeps(init.depsModule);
  const backend = await deps.selectBackend(init.backend as BackendName | undefined);
  const backbone = await deps.loadBackbone(init.backbone.spec, {
    inputSize: init.backbone.inputSize,
    mapLayer: init.backbone.mapLayer,
    pooledLayer: init.backbone.pooledLayer,
    cacheDir: init.backbone.modelCacheDir,
  });
  const { preprocess, layout } = backbone;
  const pixelsPer = preprocess.size * preprocess.size * 3;
  const mapN = layout.mapH * layout.mapW * layout.mapC;

  // Batches run strictly in arrival order; each one's decode was started when it arrived.
  let chain: Promise<void> = Promise.resolve();
  port?.on('message', (msg: WorkerRequest) => {
    if (msg.type !== 'batch') return;
    const decoded = Promise.allSettled(
      msg.items.map((it) =>
        it.crop ? decodeCrop(it.path, preprocess, it.crop) : deps.decodeForBackbone(it.path, preprocess),
      ),
    );
    chain = chain.then(async () => {
      const settled = await decoded;
      const okItems: number[] = [];
      const failed: BatchResult['failed'] = [];
      settled.forEach((s, i) => {
        const item = msg.items[i];
        if (!item) return;
        if (s.status === 'fulfilled' && s.value.length === pixelsPer) okItems.push(i);
        else {
          const error =
            s.status === 'rejected'
              ? serializeError(s.reason)
              : { code: 'internal', message: `decoded ${s.value.length} values, expected ${pixelsPer}` };
          failed.push({ sha256: item.sha256, path: item.path, code: error.code, message: error.message });
        }
      });
      const shas = okItems.map((i) => msg.items[i]?.sha256 ?? '');
      let maps: Uint16Array = new Uint16Array(0);
      let pooled: Float32Array = new Float32Array(0);
      if (okItems.length > 0) {
        const pixels = new Float32Array(okItems.length * pixelsPer);
        okItems.forEach((i, k) => {
          const s = settled[i];
          if (s?.status === 'fulfilled') pixels.set(s.value, k * pixelsPer);
        });
        const out = await backbone.extract(pixels, okItems.length);
        if (out.maps.length !== okItems.length * mapN || out.pooled.length !== okItems.length * layout.pooledC) {
          throw new Error(`backbone ${backbone.key} returned features that do not match its layout`);
        }
        // Encoding here, not in the engine thread, keeps the cache writer's share of the work small.
        maps = encodeFloat16(out.maps);
        pooled = new Float32Array(out.pooled); // a copy: never transfer a buffer tfjs may own
      }
      const result: BatchResult = { id: msg.id, shas, maps, pooled, failed };
      post({ type: 'result', result }, [maps.buffer as ArrayBuffer, pooled.buffer as ArrayBuffer]);
    });
    chain = chain.catch((e: unknown) => {
      post({ type: 'error', error: serializeError(e) });
    });
  });

  post({
    type: 'ready',
    info: { key: backbone.key, identity: backbone.identity, preprocess, layout, backend },
  });
}

main().catch((e: unknown) => {
  post({ type: 'error', error: serializeError(e) });
});
