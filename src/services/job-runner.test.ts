import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import type { ApiEvents } from '../shared/api.js';
import { EventBus } from '../shared/event-bus.js';
import { JobRunner, throwIfCancelled } from './job-runner.js';

describe('JobRunner', () => {
  it('runs one job, reports progress and resolves wait with the result', async () => {
    const bus = new EventBus<ApiEvents>();
    const phases: string[] = [];
    bus.on('job.progress', (p) => phases.push(`${p.phase}:${p.done}/${p.total}`));
    const runner = new JobRunner(bus);
    const ref = runner.start('scan', async (ctx) => {
      ctx.progress({ phase: 'walk', done: 1, total: 2 });
      ctx.progress({ phase: 'walk', done: 2, total: 2 });
      return 42;
    });
    const result = await runner.wait(ref.id);
    expect(result).toMatchObject({ outcome: 'done', result: 42, kind: 'scan' });
    expect(phases).toEqual(['walk:1/2', 'walk:2/2']);
    expect(runner.active()).toBeNull();
  });

  it("passes a job's own ETA through, and estimates one when the job gives none", async () => {
    const bus = new EventBus<ApiEvents>();
    const etas: (number | null)[] = [];
    bus.on('job.progress', (p) => etas.push(p.etaSeconds));
    const runner = new JobRunner(bus);
    const ref = runner.start('scan', async (ctx) => {
      ctx.progress({ phase: 'scanning', done: 1, total: 10, etaSeconds: 123 });
      ctx.progress({ phase: 'scanning', done: 2, total: 10, etaSeconds: null });
      ctx.progress({ phase: 'walk', done: 0, total: 10 });
    });
    await runner.wait(ref.id);
    // The runner's own meter needs two samples of a phase; the job's ETA needs none.
    expect(etas).toEqual([123, null, null]);
  });

  it('refuses a second job while one runs', async () => {
    const runner = new JobRunner(new EventBus<ApiEvents>());
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const ref = runner.start('train', () => gate);
    expect(() => runner.start('scan', () => Promise.resolve())).toThrow(/running/);
    release();
    await runner.wait(ref.id);
  });

  it('cancels cooperatively', async () => {
    const runner = new JobRunner(new EventBus<ApiEvents>());
    const ref = runner.start('train', async (ctx) => {
      for (;;) {
        throwIfCancelled(ctx.signal);
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    runner.cancel(ref.id);
    expect((await runner.wait(ref.id)).outcome).toBe('cancelled');
  });

  it('turns a thrown error into a failed outcome', async () => {
    const bus = new EventBus<ApiEvents>();
    const finished: string[] = [];
    bus.on('job.finished', (r) => finished.push(r.outcome));
    const runner = new JobRunner(bus);
    const ref = runner.start('export', () => Promise.reject(new AppError('io-error', 'disk full')));
    const result = await runner.wait(ref.id);
    expect(result).toMatchObject({ outcome: 'failed', error: 'disk full' });
    expect(finished).toEqual(['failed']);
  });
});
