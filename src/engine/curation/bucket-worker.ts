// The duplicate search's helper thread: searches every other bucket (bucket-pairs.ts) over the rows the search's own
// thread holds in shared memory, and answers with the pairs it found. Its own TensorFlow.js backend, so the two
// threads' products run at once on the two cores.
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import { searchBuckets } from './bucket-pairs.js';
import { Int8Rows } from './int8-rows.js';
import { ensureTensorBackend } from './tensor-backend.js';
import type { BucketJob, FromBucketWorker } from './bucket-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('the bucket worker must run in a worker thread');

async function run(job: BucketJob): Promise<Float64Array> {
  await ensureTensorBackend();
  const found = new Set<number>();
  const space = { proj: job.proj, p: job.p, k: job.k, filter: { ...job.filter, rows: Int8Rows.view(job.rows) } };
  let last = 0;
  searchBuckets(job.buckets, space, found, job.depth, {
    pick: (b) => b % job.parts === job.part,
    onBucket: (done) => {
      if (done - last < 64) return;
      last = done;
      port?.postMessage({ type: 'progress', done } satisfies FromBucketWorker);
    },
  });
  return Float64Array.from(found);
}

run(workerData as BucketJob).then(
  (keys) => port.postMessage({ type: 'result', keys } satisfies FromBucketWorker, [keys.buffer as ArrayBuffer]),
  (error: unknown) => port.postMessage({ type: 'error', error: serializeError(error) } satisfies FromBucketWorker),
);
