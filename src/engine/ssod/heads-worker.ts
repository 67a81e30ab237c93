// One model worker thread: its own tfjs backend (the engine thread's, so results match the sequential path
// exactly) and a read-only view of the shared row cache; trains the models it is sent, one at a time.
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import { loadWasm } from '../backends/wasm-backend.js';
import { runModelJob } from './build-model.js';
import type { FromWorker, ToWorker, WorkerInit } from './model-pool.js';
import { storeOverCached } from './row-cache.js';
import type { Progress } from '../types.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('heads-worker must run in a worker thread');

// Results are copied, not transferred: a few MB per model, and no risk of detaching memory tfjs still owns.
function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

async function loadBackend(name: string): Promise<void> {
  const reason = name === 'wasm' ? await loadWasm() : (await tf.setBackend(name)) ? null : 'setBackend failed';
  if (reason !== null) throw new Error(`heads worker: backend ${name} ${reason}`);
  await tf.ready();
}

const ready = loadBackend(init.backend);
const ctx = {
  features: storeOverCached(init.layout, init.count, init.cache),
  classes: init.classes,
  train: init.train,
  config: init.config,
  onProgress: (event: Progress) => post({ type: 'progress', event }),
};
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'job') return;
  chain = chain
    .then(async () => {
      await ready;
      const result = await runModelJob(ctx, msg.job);
      post({ type: 'result', result });
    })
    .catch((e: unknown) => post({ type: 'error', error: serializeError(e) }));
});
