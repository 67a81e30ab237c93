// Runs a curation request on its own worker thread: the caller's event loop stays free (the UI's server, the
// Electron main process), progress arrives as it goes, and cancelling ends the thread at once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, deserializeError } from '../../shared/errors.js';
import type { ProgressFn } from '../types.js';
import type { CurationRequest, CurationResult, FromCurationWorker } from './worker-protocol.js';

/** Same start-up as the engine's other workers: a .ts worker registers tsx itself (Node 20 does not pass --import). */
function spawn(req: CurationRequest): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    const js = new URL('./worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(js)))
      throw new AppError('engine-failed', 'the curation worker is missing from this build');
    return new Worker(js, { workerData: req });
  }
  const entry = new URL('./worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: req });
}

export function runCuration(
  req: CurationRequest,
  onProgress?: ProgressFn,
  signal?: AbortSignal,
): Promise<CurationResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AppError('cancelled', 'cancelled'));
      return;
    }
    const worker = spawn(req);
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(new AppError('cancelled', 'cancelled')));
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (msg: FromCurationWorker) => {
      if (msg.type === 'progress') onProgress?.(msg.progress);
      else if (msg.type === 'result') finish(() => resolve(msg.result));
      else finish(() => reject(deserializeError(msg.error)));
    });
    worker.on('error', (e) =>
      finish(() => reject(new AppError('engine-failed', `curation worker failed: ${e.message}`, { cause: e }))),
    );
    worker.on('exit', (code) =>
      finish(() => reject(new AppError('engine-failed', `curation worker exited with code ${code}`))),
    );
  });
}
