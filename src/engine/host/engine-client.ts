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

/** The caller's side of one engine connection: calls in flight by id, the process started on first use. */
class ForkedEngine {
  private proc: EngineProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly factory: EngineProcessFactory,
    private readonly entry: string,
    private readonly engineOptions: EngineOptions,
  ) {}

  private start(): EngineProcess {
    const p = this.factory(this.entry, [JSON.stringify(this.engineOptions)]);
    let gone = false;
    p.onMessage((msg) => {
      if (isFromEngine(msg)) this.handle(msg);
    });
    p.onExit((description) => {
      if (gone) return;
      gone = true;
      if (this.proc === p) this.proc = undefined;
      this.rejectAll(new AppError('engine-failed', `the engine process ${description}`));
    });
    return p;
  }

  private rejectAll(error: Error): void {
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.reject(error);
    }
  }

  private handle(msg: FromEngine): void {
    if (msg.type === 'ready') return;
    if (msg.type === 'progress') {
      this.pending.get(msg.progress.jobId)?.onProgress?.(msg.progress);
      return;
    }
    const call = this.pending.get(msg.id);
    if (!call) return;
    this.pending.delete(msg.id);
    if (msg.type === 'done') call.resolve(msg.result);
    else call.reject(deserializeError(msg.error));
  }

  request<T>(build: (id: number) => ToEngine, onProgress?: ProgressListener, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AppError('cancelled', 'cancelled before it started'));
    this.proc ??= this.start();
    const p = this.proc;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => p.send({ type: 'cancel', id });
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
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
  }

  job<K extends JobRequest['kind']>(
    job: Extract<JobRequest, { kind: K }>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<JobResults[K]> {
    return this.request<JobResults[K]>((id) => ({ type: 'job', id, job }), onProgress, signal);
  }

  /** Closes the channel and waits for the process to exit (killed after 5 s). */
  async close(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill(), 5000);
      p.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      p.disconnect();
    });
  }
}

export function createForkedEngine(options: ForkedEngineOptions = {}): EngineClient {
  const { factory = forkEngineProcess, entry = ENGINE_ENTRY, ...engineOptions } = options;
  const e = new ForkedEngine(factory, entry, engineOptions);
  return {
    status: () => e.request<EngineStatus>((id) => ({ type: 'status', id })),
    extract: (req, onProgress, signal) => e.job({ ...req, kind: 'extract' }, onProgress, signal),
    train: (req, onProgress, signal) => e.job({ ...req, kind: 'train' }, onProgress, signal),
    score: async (req, onProgress, signal) => (await e.job({ ...req, kind: 'score' }, onProgress, signal)).scores,
    trainEndToEnd: (req, onProgress, signal) => e.job({ ...req, kind: 'train-end-to-end' }, onProgress, signal),
    trainAdapt: (req, onProgress, signal) => e.job({ ...req, kind: 'train-adapt' }, onProgress, signal),
    adaptFeatures: (req, onProgress, signal) => e.job({ ...req, kind: 'adapt-features' }, onProgress, signal),
    close: () => e.close(),
  };
}
