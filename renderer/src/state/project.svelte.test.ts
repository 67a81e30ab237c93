// The open project: opening, creating and closing tell the rest of the renderer once (project.opened), the
// status and recent list follow, and a refused call is reported without changing what is open.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProjectInfo } from '../../../src/shared/dto.js';
import { installFakeBackend } from '../dev/test-backend.js';
import { appEvents } from './app-events.js';
import { project } from './project.svelte.js';
import { toasts } from './toasts.svelte.js';

const opened: (string | null)[] = [];

beforeAll(async () => {
  installFakeBackend({ images: 30, populate: false });
  appEvents.on('project.opened', (info: ProjectInfo | null) => opened.push(info?.path ?? null));
  await project.load();
});

describe('project state', () => {
  it('starts with nothing open and the default folder known', () => {
    expect(project.info).toBeNull();
    expect(project.status).toBeNull();
    expect(project.defaultFolder).toBe('/tmp/ssod-projects');
  });

  it('opens a project with its status and recent entry, announcing it once', async () => {
    expect(await project.open('/data/cats')).toBe(true);
    expect(project.info?.path).toBe('/data/cats');
    expect(project.status?.project.path).toBe('/data/cats');
    expect(project.recent.map((r) => r.path)).toEqual(['/data/cats']);
    expect(project.busy).toBe(false);
    expect(opened).toEqual(['/data/cats']);
  });

  it('creates a project under the given name, and closing clears info and status', async () => {
    expect(await project.create('/data/new', 'Birds')).toBe(true);
    expect(project.info?.name).toBe('Birds');
    await project.close();
    expect(project.info).toBeNull();
    expect(project.status).toBeNull();
    expect(opened.slice(-2)).toEqual(['/data/new', null]);
  });

  it('reports a refused open and keeps what was open', async () => {
    await project.open('/data/cats');
    toasts.items = [];
    expect(await project.open('')).toBe(false);
    expect(project.info?.path).toBe('/data/cats');
    expect(toasts.items.at(-1)?.text).toMatch(/^Could not open the project: /);
  });
});
