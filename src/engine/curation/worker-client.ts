// Runs a curation request on its own worker thread: the caller's event loop stays free (the UI's server, the
// Electron main process), progress arrives as it goes, and cancelling ends the thread at once.
import { AppError, deserializeError } from '../../shared/errors.js';
import type { ProgressFn } from '../types.js';
import { spawnCurationThread } from './worker-spawn.js';
import type { CurationRequest, CurationResult, FromCurationWorker } from './worker-protocol.js';

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
    const worker = spawnCurationThread('worker', req);
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
