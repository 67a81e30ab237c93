// One subscription, every view told: which announcements each job end and each decision produce.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { appEvents, type AppEvents } from './app-events.js';
import { demo } from './demo.svelte.js';
import { jobs } from './jobs.svelte.js';
import { project } from './project.svelte.js';
import { review } from './review.svelte.js';
import { runs } from './runs.svelte.js';
import { tour } from './tour.svelte.js';
import { ui } from './ui.svelte.js';

let fake: TestBackend;

function record(): { log: (keyof AppEvents)[]; stop: () => void } {
  const log: (keyof AppEvents)[] = [];
  const names: (keyof AppEvents)[] = ['run.changed', 'sources.changed', 'decisions.remote', 'project.changed'];
  const offs = names.map((n) => appEvents.on(n, () => log.push(n)));
  return { log, stop: () => offs.forEach((o) => o()) };
}

beforeAll(async () => {
  fake = installFakeBackend({ images: 120, populate: false });
  await project.load();
});

describe('live sync', () => {
  it('a demo opens at once, builds with progress, then lands in Review with the tour and a fresh run', async () => {
    const rec = record();
    await demo.start();
    expect(project.info?.name).toBe('Demo: Fashion-MNIST');
    expect(demo.phase).toBe('building');
    expect(jobs.active?.kind).toBe('demo');
    await vi.waitFor(() => expect(ui.view).toBe('review'));
    expect(tour.step).toBe(0);
    expect(demo.phase).toBe('idle');
    rec.stop();
    expect(rec.log.filter((n) => n === 'run.changed')).toHaveLength(1);
    expect(rec.log).toContain('sources.changed');
    await vi.waitFor(() => expect(runs.current).not.toBeNull());
    await vi.waitFor(() => expect(project.status?.byStatus.ok).toBeGreaterThan(0));
    await vi.waitFor(() => expect(review.total).toBe(120));
  });

  it('refuses a second demo while the first builds, with a clear message', async () => {
    await fake.api.projects.createDemo();
    await expect(fake.api.projects.createDemo()).rejects.toThrow(/already being built/);
    const running = await fake.api.jobs.active();
    await fake.api.jobs.wait(running!.jobId);
  });

  it('a window whose demo is refused because another window is building it follows that build', async () => {
    ui.go('projects');
    await fake.api.projects.createDemo();
    await demo.start();
    expect(demo.phase).toBe('building');
    expect(demo.note).toMatch(/already being built/);
    await vi.waitFor(() => expect(ui.view).toBe('review'));
    expect(demo.phase).toBe('idle');
  });

  it('a training run is announced once although the services report it twice (run.done, job.finished)', async () => {
    const rec = record();
    const id = await jobs.train();
    expect(id).not.toBeNull();
    await jobs.finished(id!);
    rec.stop();
    expect(rec.log.filter((n) => n === 'run.changed')).toHaveLength(1);
    await vi.waitFor(() => expect(runs.list.length).toBe(3));
  });

  it('a scan refreshes counts but not the run', async () => {
    const rec = record();
    const id = await jobs.scan();
    await jobs.finished(id!);
    rec.stop();
    expect(rec.log).toEqual(['sources.changed']);
  });

  it('decisions written elsewhere reach the views', async () => {
    const rec = record();
    await fake.api.review.decide({ imageIds: [1, 2], action: 'keep', reviewer: 'other window' });
    rec.stop();
    expect(rec.log).toEqual(['decisions.remote']);
  });

  it('a failed or cancelled job changes nothing', async () => {
    const rec = record();
    const id = await jobs.train();
    await jobs.cancel();
    expect((await jobs.finished(id!)).outcome).toBe('cancelled');
    rec.stop();
    expect(rec.log).toEqual([]);
  });
});
