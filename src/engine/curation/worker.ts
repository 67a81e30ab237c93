// The curation worker thread: one request per thread, answered with progress and one result or error.
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import { runCurationJob } from './curation-jobs.js';
import type { CurationRequest, FromCurationWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('the curation worker must run in a worker thread');

function post(msg: FromCurationWorker): void {
  port?.postMessage(msg);
}

runCurationJob(workerData as CurationRequest, (progress) => post({ type: 'progress', progress })).then(
  (result) => post({ type: 'result', result }),
  (error: unknown) => post({ type: 'error', error: serializeError(error) }),
);
