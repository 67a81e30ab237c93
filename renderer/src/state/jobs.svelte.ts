// The one job the engine runs at a time: progress (rate, ETA, loss), the outcome, and cancel.
import type { JobKind, JobProgress, JobResult, LossPoint, TrainOptions } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { toasts } from './toasts.svelte.js';

class JobsState {
  active = $state<JobProgress | null>(null);
  last = $state<JobResult | null>(null);
  /** Loss per progress tick of the running training job, for the live curve. */
  loss = $state<LossPoint[]>([]);
  starting = $state(false);
  private waiters = new Map<string, (r: JobResult) => void>();

  /** Subscribe to job events; called once from main.ts. */
  listen(): void {
    const b = backend();
    b.on('job.progress', (p) => {
      if (this.active?.jobId !== p.jobId && p.kind === 'train') this.loss = [];
      this.active = p;
      if (p.loss !== undefined && Number.isFinite(p.loss)) {
        this.loss = [...this.loss, { epoch: this.loss.length + 1, phase: p.phase, loss: p.loss }];
      }
    });
    b.on('job.finished', (r) => {
      if (this.active?.jobId === r.jobId) this.active = null;
      this.last = r;
      this.waiters.get(r.jobId)?.(r);
      this.waiters.delete(r.jobId);
      if (r.outcome === 'failed') toasts.push('error', `${r.kind} failed: ${r.error ?? 'unknown error'}`);
      else if (r.outcome === 'cancelled') toasts.push('info', `${r.kind} cancelled`);
      else toasts.push('info', `${r.kind} finished`);
      if (r.kind === 'scan') appEvents.emit('sources.changed', null);
      if (r.kind === 'score') appEvents.emit('run.changed', null);
    });
    b.on('run.done', (run) => appEvents.emit('run.changed', run));
    void b.api.jobs
      .active()
      .then((p) => {
        if (p) this.active = p;
      })
      .catch((error: unknown) => handleError(error, 'Could not read the running job'));
  }

  scan(sourceId?: number): Promise<string | null> {
    return this.start('scan', () =>
      sourceId === undefined ? backend().api.jobs.scan() : backend().api.jobs.scan(sourceId),
    );
  }

  train(options: TrainOptions = {}): Promise<string | null> {
    this.loss = [];
    return this.start('train', () => backend().api.jobs.train(options));
  }

  async cancel(): Promise<void> {
    if (!this.active) return;
    try {
      await backend().api.jobs.cancel(this.active.jobId);
    } catch (error) {
      handleError(error, 'Could not cancel');
    }
  }

  /** Resolves when the job finishes (from events, so it never blocks the transport). */
  finished(jobId: string): Promise<JobResult> {
    if (this.last?.jobId === jobId) return Promise.resolve(this.last);
    return new Promise((resolve) => this.waiters.set(jobId, resolve));
  }

  async start(kind: JobKind, fn: () => Promise<{ id: string }>): Promise<string | null> {
    this.starting = true;
    try {
      const ref = await fn();
      this.active ??= { jobId: ref.id, kind, phase: 'starting', done: 0, total: 0, rate: 0, etaSeconds: null };
      return ref.id;
    } catch (error) {
      handleError(error, `Could not start ${kind}`);
      return null;
    } finally {
      this.starting = false;
    }
  }
}

export const jobs = new JobsState();
