// One long job at a time (scan, train, score, export): it reports progress with rate and ETA, can be
// cancelled cooperatively, and its outcome is both an event and a promise (`wait`) so the UI and the CLI
// share the same path.
import { randomUUID } from 'node:crypto';
import type { JobContext, JobKind, JobProgress, JobResult } from '../shared/dto.js';
import { AppError, isAppError, serializeError } from '../shared/errors.js';
import { RateMeter } from '../shared/eta.js';
import type { ApiEvents } from '../shared/api.js';
import type { EventBus } from '../shared/event-bus.js';

export type JobBody = (ctx: JobContext) => Promise<unknown>;

interface RunningJob {
  id: string;
  kind: JobKind;
  controller: AbortController;
  last: JobProgress;
  done: Promise<JobResult>;
}

const FINISHED_KEPT = 50;

export class JobRunner {
  private running: RunningJob | null = null;
  private readonly finished = new Map<string, JobResult>();

  constructor(private readonly bus: EventBus<ApiEvents>) {}

  start(kind: JobKind, body: JobBody): { id: string; kind: JobKind } {
    if (this.running) {
      throw new AppError('busy', `a ${this.running.kind} job is running (${this.running.id}); cancel it or wait`);
    }
    const id = randomUUID();
    const controller = new AbortController();
    const meter = new RateMeter();
    let phase = '';
    const job: RunningJob = {
      id,
      kind,
      controller,
      last: { jobId: id, kind, phase: 'starting', done: 0, total: 0, rate: 0, etaSeconds: null },
      done: Promise.resolve(null as unknown as JobResult),
    };
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (p) => {
        if (p.phase !== phase) {
          phase = p.phase;
          meter.reset();
        }
        const measured = meter.sample(p.done, p.total);
        const etaSeconds = p.etaSeconds !== undefined ? p.etaSeconds : measured.etaSeconds;
        job.last = { jobId: id, kind, ...p, rate: measured.rate, etaSeconds };
        this.bus.emit('job.progress', job.last);
      },
    };
    job.done = this.execute(job, body, ctx);
    this.running = job;
    return { id, kind };
  }

  private async execute(job: RunningJob, body: JobBody, ctx: JobContext): Promise<JobResult> {
    // Let start() return (and the caller subscribe) before the body runs.
    await Promise.resolve();
    let result: JobResult;
    try {
      const value = await body(ctx);
      result = { jobId: job.id, kind: job.kind, outcome: 'done', result: value };
    } catch (error) {
      const cancelled = job.controller.signal.aborted || isAppError(error, 'cancelled');
      result = {
        jobId: job.id,
        kind: job.kind,
        outcome: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? 'cancelled' : serializeError(error).message,
      };
      if (!cancelled && !(error instanceof AppError)) console.error(error);
    }
    this.running = null;
    this.finished.set(job.id, result);
    if (this.finished.size > FINISHED_KEPT) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
    this.bus.emit('job.finished', result);
    return result;
  }

  cancel(jobId: string): void {
    if (this.running?.id === jobId) this.running.controller.abort();
    else if (!this.finished.has(jobId)) throw new AppError('not-found', `no job ${jobId}`);
  }

  active(): JobProgress | null {
    return this.running ? this.running.last : null;
  }

  wait(jobId: string): Promise<JobResult> {
    if (this.running?.id === jobId) return this.running.done;
    const done = this.finished.get(jobId);
    if (done) return Promise.resolve(done);
    return Promise.reject(new AppError('not-found', `no job ${jobId}`));
  }

  /** Cancel whatever runs and wait for it to stop (used on close). */
  async stop(): Promise<void> {
    const job = this.running;
    if (!job) return;
    job.controller.abort();
    await job.done;
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new AppError('cancelled', 'cancelled');
}
