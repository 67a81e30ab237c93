// "More like this" on a thread that stays up between questions (similar-worker.ts), so only the first question
// after the contents change pays for opening the feature cache and the saved graph. The thread does not keep the
// process alive while idle (a command exits when it is done), ends after IDLE_MS without a question, and is ended
// by `close()` (when the project closes). A thread that fails is replaced by the next question.
import type { Worker } from 'node:worker_threads';
import { AppError, deserializeError } from '../../shared/errors.js';
import type { ProgressFn } from '../types.js';
import type { Neighbour } from './neighbour-index.js';
import type { FeaturePlace } from './similar-session.js';
import { spawnCurationThread } from './worker-spawn.js';
import type { FromSimilarWorker, SimilarAsk } from './worker-protocol.js';

const IDLE_MS = 10 * 60_000;

interface Pending {
  resolve(r: Neighbour[] | 'need-place'): void;
  reject(e: unknown): void;
  onProgress: ProgressFn | undefined;
}

export class WarmSimilar {
  private worker: Worker | null = null;
  /** The key whose contents were last sent to the current thread. */
  private sentKey: string | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idle: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly idleMs = IDLE_MS) {}

  /** The k contents most like `query` among `place().shas` (rows of that list), nearest first. `key` names the
   * contents: the same key promises the same list, so `place` is called only when the thread needs it. */
  async similar(
    key: string,
    place: () => FeaturePlace,
    query: string,
    k: number,
    onProgress?: ProgressFn,
  ): Promise<Neighbour[]> {
    const first = await this.ask({ key, query, k, ...(this.sentKey === key ? {} : { place: place() }) }, onProgress);
    if (first !== 'need-place') return first;
    const again = await this.ask({ key, query, k, place: place() }, onProgress);
    if (again === 'need-place') throw new Error('the similar worker refused the contents it was sent');
    return again;
  }

  /** Whether a thread is up (for tests and diagnostics). */
  get running(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.drop(new AppError('cancelled', 'the project was closed'));
    await w?.terminate();
  }

  private ask(ask: Omit<SimilarAsk, 'id'>, onProgress: ProgressFn | undefined): Promise<Neighbour[] | 'need-place'> {
    const worker = this.thread();
    const id = this.nextId++;
    if (ask.place) this.sentKey = ask.key;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      // A question in flight keeps the process alive until its answer; an idle thread does not.
      worker.ref();
      this.clearIdle();
      worker.postMessage({ id, ...ask } satisfies SimilarAsk);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = spawnCurationThread('similar-worker');
    w.on('message', (msg: FromSimilarWorker) => this.receive(msg));
    w.on('error', (e) =>
      this.fail(w, new AppError('engine-failed', `similar worker failed: ${e.message}`, { cause: e })),
    );
    w.on('exit', (code) => this.fail(w, new AppError('engine-failed', `similar worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private receive(msg: FromSimilarWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') return p.onProgress?.(msg.progress);
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.neighbours);
    else if (msg.type === 'need-place') p.resolve('need-place');
    else p.reject(deserializeError(msg.error));
    if (this.pending.size === 0) this.rest();
  }

  /** Nothing in flight: let the process exit, and end the thread if no question comes for a while. */
  private rest(): void {
    this.worker?.unref();
    this.clearIdle();
    this.idle = setTimeout(() => void this.close(), this.idleMs);
    this.idle.unref();
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }

  private fail(w: Worker, error: AppError): void {
    if (this.worker === w) this.drop(error);
  }

  private drop(error: AppError): void {
    this.clearIdle();
    this.worker = null;
    this.sentKey = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(error);
  }
}
