// The engine process entry. Forked by the caller (child_process.fork with execArgv ['--import', tsx], or
// Electron's utilityProcess); argv[2] is EngineOptions as JSON. It selects the tfjs backend once, then runs one
// job at a time (extract / train / score / train-end-to-end), streaming progress; status and cancel are answered at any time.
// It exits when its parent goes away.

import { availableParallelism } from 'node:os';
import { AppError, serializeError } from '../../shared/errors.js';
import type { BackendName } from '../types.js';
import { loadEngineDeps } from './engine-deps.js';
import type { EngineJobContext } from './job-context.js';
import { runExtract } from './run-extract.js';
import { runScore, runTrain } from './run-heads.js';
import type { EngineOptions, EngineStatus, FromEngine, JobRequest } from './protocol.js';
import { isToEngine } from './protocol.js';
import { ProgressMeter } from './progress-meter.js';

interface ParentPort {
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
  postMessage(msg: unknown): void;
}

/** Electron's utilityProcess exposes process.parentPort; a forked Node child has process.send. */
function channel(): { send(msg: FromEngine): void; onMessage(fn: (msg: unknown) => void): void } {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (fn) => parentPort.on('message', (e) => fn(e.data)) };
  }
  if (!process.send) throw new Error('engine-main must be started with an IPC channel (fork or utilityProcess)');
  return {
    send: (m) => {
      if (process.connected) process.send?.(m);
    },
    onMessage: (fn) => process.on('message', fn),
  };
}

/** Runs one job; rarely used job kinds are imported on first use. */
async function dispatch(job: JobRequest, ctx: EngineJobContext): Promise<unknown> {
  switch (job.kind) {
    case 'extract':
      return runExtract(job, ctx);
    case 'train':
      return runTrain(job, ctx);
    case 'score':
      return runScore(job, ctx);
    case 'train-end-to-end':
      // Imported on first use: only end-to-end jobs need the trainable backbones.
      return (await import('./run-end-to-end.js')).runEndToEnd(job, ctx);
    case 'train-adapt':
      return (await import('./run-adapt.js')).runTrainAdapt(job, ctx);
    case 'adapt-features':
      return (await import('./run-adapt.js')).runAdaptFeatures(job, ctx);
    default:
      throw new AppError('invalid-argument', `unknown job kind ${(job as { kind: string }).kind}`);
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EngineOptions;
  const io = channel();
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const deps = await loadEngineDeps(options.depsModule);
  const backendReady = deps.selectBackend(options.backend as BackendName | undefined);
  backendReady.catch(() => undefined); // reported through status/jobs, never as an unhandled rejection
  const pool: EngineJobContext['pool'] = {};
  let current: { id: number; kind: JobRequest['kind']; phase: string; abort: AbortController } | undefined;

  const runJob = async (id: number, job: JobRequest, abort: AbortController): Promise<unknown> => {
    const backend = await backendReady;
    if (abort.signal.aborted) throw new AppError('cancelled', 'job cancelled');
    const meter = new ProgressMeter();
    const ctx: EngineJobContext = {
      deps,
      backend,
      options,
      workers,
      signal: abort.signal,
      pool,
      progress: (p) => {
        if (current?.id === id) current.phase = p.phase;
        const sample = meter.sample(p.phase, p.done, p.total);
        if (sample) io.send({ type: 'progress', progress: { ...p, jobId: id, ...sample } });
      },
    };
    return dispatch(job, ctx);
  };

  io.onMessage((msg) => {
    if (!isToEngine(msg)) return;
    if (msg.type === 'status') {
      backendReady.then(
        (backend) => {
          const status: EngineStatus = {
            pid: process.pid,
            backend,
            ...(options.backend !== undefined ? { forcedBackend: options.backend } : {}),
            workers,
            busy: current ? { jobId: current.id, kind: current.kind, phase: current.phase } : null,
            versions: { node: process.versions.node },
            memory: { rssBytes: process.memoryUsage.rss(), maxRssBytes: process.resourceUsage().maxRSS * 1024 },
          };
          io.send({ type: 'done', id: msg.id, result: status });
        },
        (e: unknown) => io.send({ type: 'failed', id: msg.id, error: serializeError(e) }),
      );
      return;
    }
    if (msg.type === 'cancel') {
      if (current?.id === msg.id) current.abort.abort();
      return;
    }
    if (current) {
      const busy = new AppError('busy', `the engine is running job ${current.id} (${current.kind})`);
      io.send({ type: 'failed', id: msg.id, error: serializeError(busy) });
      return;
    }
    const abort = new AbortController();
    current = { id: msg.id, kind: msg.job.kind, phase: 'start', abort };
    runJob(msg.id, msg.job, abort).then(
      (result) => {
        current = undefined;
        io.send({ type: 'done', id: msg.id, result });
      },
      (e: unknown) => {
        current = undefined;
        const error = abort.signal.aborted && !(e instanceof AppError) ? new AppError('cancelled', 'job cancelled') : e;
        io.send({ type: 'failed', id: msg.id, error: serializeError(error) });
      },
    );
  });

  // The parent went away (closed or crashed): nothing left to report to.
  process.on('disconnect', () => process.exit(0));
  io.send({ type: 'ready', pid: process.pid });
}

main().catch((e: unknown) => {
  console.error('engine failed to start:', e);
  process.exit(70);
});
