// The forked implementation of EngineClient (the interface is engine-client-interface.ts): the caller's side of
// the engine process. The process is started on first use and restarted after a crash: a kill -9 of the engine
// rejects the pending calls with AppError('engine-failed') and the next call forks a fresh one. How the process is spawned is an EngineProcessFactory: child_process.fork here, Electron's
// utilityProcess in electron/main.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError, deserializeError } from '../../shared/errors.js';
import type { EngineOptions, EngineStatus, FromEngine, JobRequest, JobResults, ToEngine } from './protocol.js';
import { isFromEngine } from './protocol.js';
import type { EngineClient, ProgressListener } from './engine-client-interface.js';

export type { EngineClient, ProgressListener } from './engine-client-interface.js';

/** A running engine process, whatever started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  send(msg: ToEngine): void;
  onMessage(fn: (msg: unknown) => void): void;
  /** Called once when the process is gone (crash, kill, or exit after close). */
  onExit(fn: (description: string) => void): void;
  /** Asks the process to end (closes the channel); it exits on its own. */
  disconnect(): void;
  kill(): void;
}

/** Starts the engine entry (`modulePath`, a .ts file run under tsx) with `args`. */
export type EngineProcessFactory = (modulePath: string, args: string[]) => EngineProcess;

export const ENGINE_ENTRY = fileURLToPath(
  new URL(`./engine-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** child_process.fork with tsx's loader resolved from this package (not the caller's cwd). */
export const forkEngineProcess: EngineProcessFactory = (modulePath, args) => {
  const execArgv = modulePath.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child = fork(modulePath, args, {
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    pid: child.pid,
    send: (msg) => {
      if (child.connected) child.send(msg);
    },
    onMessage: (fn) => child.on('message', fn),
    onExit: (fn) => {
      child.once('exit', (code, signal) => fn(signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.once('error', (e) => fn(`failed to start: ${e.message}`));
    },
    disconnect: () => {
      if (child.connected) child.disconnect();
    },
    kill: () => child.kill('SIGKILL'),
  };
};

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: ProgressListener;
}

export interface ForkedEngineOptions extends EngineOptions {
  factory?: EngineProcessFactory;
  /** Entry module; default ENGINE_ENTRY. */
  entry?: string;
}

export function createForkedEngine(options: ForkedEngineOptions = {}): EngineClient {
  const { factory = forkEngineProcess, entry = ENGINE_ENTRY, ...engineOptions } = options;
  let proc: EngineProcess | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const start = (): EngineProcess => {
    const p = factory(entry, [JSON.stringify(engineOptions)]);
    let gone = false;
    p.onMessage((msg) => {
      if (!isFromEngine(msg)) return;
      handle(msg);
    });
    p.onExit((description) => {
      if (gone) return;
      gone = true;
      if (proc === p) proc = undefined;
      const error = new AppError('engine-failed', `the engine process ${description}`);
      for (const [id, call] of pending) {
        pending.delete(id);
        call.reject(error);
      }
    });
    return p;
  };

  const handle = (msg: FromEngine): void => {
    if (msg.type === 'ready') return;
    if (msg.type === 'progress') {
      pending.get(msg.progress.jobId)?.onProgress?.(msg.progress);
      return;
    }
    const call = pending.get(msg.id);
    if (!call) return;
    pending.delete(msg.id);
    if (msg.type === 'done') call.resolve(msg.result);
    else call.reject(deserializeError(msg.error));
  };

  const request = <T>(
    build: (id: number) => ToEngine,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<T> => {
    if (signal?.aborted) return Promise.reject(new AppError('cancelled', 'cancelled before it started'));
    proc ??= start();
    const p = proc;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => p.send({ type: 'cancel', id });
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      pending.set(id, {
        resolve: (v) => {
          cleanup();
          resolve(v as T);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
        onProgress,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      p.send(build(id));
    });
  };

  const job = <K extends JobRequest['kind']>(
    job: Extract<JobRequest, { kind: K }>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<JobResults[K]> => request<JobResults[K]>((id) => ({ type: 'job', id, job }), onProgress, signal);

  return {
    status: () => request<EngineStatus>((id) => ({ type: 'status', id })),
    extract: (req, onProgress, signal) => job({ ...req, kind: 'extract' }, onProgress, signal),
    train: (req, onProgress, signal) => job({ ...req, kind: 'train' }, onProgress, signal),
    score: async (req, onProgress, signal) => (await job({ ...req, kind: 'score' }, onProgress, signal)).scores,
    trainEndToEnd: (req, onProgress, signal) => job({ ...req, kind: 'train-end-to-end' }, onProgress, signal),
    trainAdapt: (req, onProgress, signal) => job({ ...req, kind: 'train-adapt' }, onProgress, signal),
    adaptFeatures: (req, onProgress, signal) => job({ ...req, kind: 'adapt-features' }, onProgress, signal),
    close: async () => {
      const p = proc;
      if (!p) return;
      proc = undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => p.kill(), 5000);
        p.onExit(() => {
          clearTimeout(timer);
          resolve();
        });
        p.disconnect();
      });
    },
  };
}
