// The one job the engine runs at a time: progress (rate, ETA, loss), the outcome, and cancel. Fed by
// live-sync.ts through appEvents; `sync` reads the running job back after a reload (a tab closed mid-job and
// reopened shows the job's progress again).
import type { JobKind, JobProgress, JobResult, LossPoint, TrainOptions } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { toasts } from './toasts.svelte.js';

const JOB_NAMES: Record<JobKind, string> = {
  scan: 'Scan',
  train: 'Training',
  score: 'Scoring',
  export: 'Export',
  demo: 'Demo',
  eval: 'Evaluation',
};

class JobsState {
  active = $state<JobProgress | null>(null);
  last = $state<JobResult | null>(null);
  /** Loss per progress tick of the running training job, for the live curve. */
  loss = $state<LossPoint[]>([]);
  starting = $state(false);
  private waiters = new Map<string, (r: JobResult) => void>();

  constructor() {
    appEvents.on('job.progress', (p) => this.onProgress(p));
    appEvents.on('job.finished', (r) => this.onFinished(r));
  }

  onProgress(p: JobProgress): void {
    if (this.active?.jobId !== p.jobId && (p.kind === 'train' || p.kind === 'demo')) this.loss = [];
    this.active = p;
    if (p.loss !== undefined && Number.isFinite(p.loss)) {
      this.loss = [...this.loss, { epoch: this.loss.length + 1, phase: p.phase, loss: p.loss }];
    }
  }

  onFinished(r: JobResult): void {
    if (this.active?.jobId === r.jobId) this.active = null;
    this.last = r;
    this.waiters.get(r.jobId)?.(r);
    this.waiters.delete(r.jobId);
    const name = JOB_NAMES[r.kind] ?? r.kind;
    if (r.outcome === 'failed') toasts.push('error', `${name} failed: ${r.error ?? 'unknown error'}`);
    else if (r.outcome === 'cancelled') toasts.push('info', `${name} cancelled`);
    else toasts.push('info', `${name} finished`);
  }

  /** The job already running in the services (after a reload, or started by another window). */
  async sync(): Promise<void> {
    try {
      const p = await backend().api.jobs.active();
      if (p) this.active = p;
    } catch (error) {
      handleError(error, 'Could not read the running job');
    }
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

  evalFolders(ood: string, id?: string): Promise<string | null> {
    return this.start('eval', () =>
      id ? backend().api.jobs.evalFolders(ood, id) : backend().api.jobs.evalFolders(ood),
    );
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
      handleError(error, `Could not start ${JOB_NAMES[kind].toLowerCase()}`);
      return null;
    } finally {
      this.starting = false;
    }
  }
}

export const jobs = new JobsState();
