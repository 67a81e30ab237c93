// The long-lived "more like this" thread: one SimilarHost for the thread's life, one answer per question.
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import { SimilarHost } from './similar-host.js';
import type { FromSimilarWorker, SimilarAsk } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('the similar worker must run in a worker thread');
const host = new SimilarHost();

function post(msg: FromSimilarWorker): void {
  port?.postMessage(msg);
}

port.on('message', ({ id, ...ask }: SimilarAsk) => {
  host
    .answer(ask, (progress) => post({ id, type: 'progress', progress }))
    .then(
      (r) => post(r === 'need-place' ? { id, type: 'need-place' } : { id, type: 'result', neighbours: r }),
      (error: unknown) => post({ id, type: 'error', error: serializeError(error) }),
    );
});
