// "Try the demo": the demo project opens, its one job is followed to the end, then Review and the tour open.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { installFakeBackend, type TestBackend } from '../dev/test-backend.js';
import { demo } from './demo.svelte.js';
import { project } from './project.svelte.js';
import { tour } from './tour.svelte.js';
import { ui } from './ui.svelte.js';

let fake: TestBackend;

beforeAll(async () => {
  fake = installFakeBackend({ images: 30, populate: false });
  await project.load();
});

describe('demo state', () => {
  it('opens the demo project, then Review with the tour at its first step once the build is done', async () => {
    ui.go('projects');
    const createDemo = vi.spyOn(fake.api.projects, 'createDemo');
    const started = demo.start();
    expect(demo.phase).toBe('creating');
    // A second click while it is being made starts nothing more.
    await demo.start();
    await started;
    expect(createDemo).toHaveBeenCalledTimes(1);
    expect(project.info?.name).toBe('Demo: Fashion-MNIST');
    await vi.waitFor(() => expect(demo.phase).toBe('idle'));
    expect(demo.error).toBeNull();
    expect(ui.view).toBe('review');
    expect(tour.step).toBe(0);
  });
});
