// Job progress as the views see it: through the fake services, the local transport and live-sync.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import type { JobProgress } from '../../../src/shared/dto.js';
import { appEvents } from './app-events.js';
import { jobs } from './jobs.svelte.js';
import { toasts } from './toasts.svelte.js';

let fake: TestBackend;
beforeAll(() => {
  fake = installFakeBackend({ images: 50 });
});

describe('jobs state', () => {
  it('follows a training job: progress with rate and ETA, the loss curve, then the outcome', async () => {
    const seen: JobProgress[] = [];
    const off = appEvents.on('job.progress', (p) => seen.push({ ...p }));
    const id = await jobs.train({ epochs: 3 });
    expect(id).toMatch(/^job-/);
    const result = await jobs.finished(id!);
    off();
    expect(result.outcome).toBe('done');
    expect(jobs.active).toBeNull();
    expect(jobs.last?.jobId).toBe(id);
    expect(seen.length).toBe(20);
    expect(seen.at(-1)).toMatchObject({ done: 20, total: 20 });
    expect(seen.every((p) => p.rate > 0 && p.etaSeconds !== null)).toBe(true);
    expect(jobs.loss).toHaveLength(20);
    expect(jobs.loss[0]!.loss).toBeGreaterThan(jobs.loss.at(-1)!.loss);
    expect(toasts.items.at(-1)?.text).toBe('Training finished');
  });

  it('starts the loss curve afresh for the next training job', async () => {
    const id = await jobs.train();
    await vi.waitFor(() => expect(jobs.active?.jobId).toBe(id));
    expect(jobs.loss.length).toBeLessThan(20);
    await jobs.finished(id!);
  });

  it('cancels the running job and says so', async () => {
    const id = await jobs.scan();
    await jobs.cancel();
    const result = await jobs.finished(id!);
    expect(result.outcome).toBe('cancelled');
    expect(jobs.active).toBeNull();
    expect(toasts.items.at(-1)?.text).toBe('Scan cancelled');
  });

  it('refuses a second job while one runs, with the services’ message', async () => {
    const first = await jobs.scan();
    const second = await jobs.scan();
    expect(second).toBeNull();
    expect(toasts.items.at(-1)).toMatchObject({ kind: 'error' });
    expect(toasts.items.at(-1)?.text).toContain('another job is running');
    await jobs.finished(first!);
  });

  it('reads a job already running back after a reload (sync)', async () => {
    const ref = await fake.api.jobs.scan();
    jobs.active = null;
    await jobs.sync();
    const active = (): JobProgress | null => jobs.active; // read afresh: TypeScript narrowed it to null above
    expect(active()?.jobId).toBe(ref.id);
    await jobs.finished(ref.id);
  });
});
