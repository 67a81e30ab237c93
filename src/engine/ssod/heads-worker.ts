// One model worker thread: its own tfjs backend (the engine thread's, so results match the sequential path
// exactly) and a read-only view of the shared row cache; trains the models it is sent, one at a time.
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import { loadWasm } from '../backends/wasm-backend.js';
import { runModelJob, type LateInputs, type ModelContext } from './build-model.js';
import type { FromWorker, ToWorker, WorkerInit } from './model-pool.js';
import { storeOverCached } from './row-cache.js';
import type { Progress } from '../types.js';

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

// The worker lives across runs: each run sends its context first (the row cache is shared memory, not copied).
let backend: Promise<void> | undefined;
let ctx: ModelContext | undefined;
let receiveLate: ((late: LateInputs) => void) | undefined;
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'end') {
    ctx = undefined;
    return;
  }
  if (msg.type === 'run') {
    const init: WorkerInit = msg.init;
    backend ??= loadBackend(init.backend);
    ctx = {
      features: storeOverCached(init.layout, init.count, init.cache),
      classes: init.classes,
      train: init.train,
      config: init.config,
      // Sent by the engine thread while the first models train (model-pool.ts).
      late: new Promise<LateInputs>((resolve) => (receiveLate = resolve)),
      onProgress: (event: Progress) => post({ type: 'progress', event }),
    };
    return;
  }
  if (msg.type === 'late') {
    receiveLate?.(msg.late);
    return;
  }
  const run = ctx;
  chain = chain
    .then(async () => {
      await backend;
      if (!run) throw new Error('heads worker: a job came before its run');
      const result = await runModelJob(run, msg.job);
      post({ type: 'result', result });
    })
    .catch((e: unknown) => post({ type: 'error', error: serializeError(e) }));
});
