// The open project: its info, status (sources, classes, counts, engine) and the recent list.
import type { ProjectInfo, ProjectStatus, RecentProject, Role } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { jobs } from './jobs.svelte.js';

class ProjectState {
  info = $state<ProjectInfo | null>(null);
  status = $state<ProjectStatus | null>(null);
  recent = $state<RecentProject[]>([]);
  defaultFolder = $state('');
  busy = $state(false);

  constructor() {
    appEvents.on('project.changed', (info) => {
      this.set(info);
      void this.refresh();
    });
    appEvents.on('run.changed', () => void this.refresh());
    appEvents.on('sources.changed', () => void this.refresh());
    appEvents.on('decisions.changed', () => void this.refresh());
  }

  /** Start-up: whatever the services already have open, plus the recent list. */
  async load(): Promise<void> {
    try {
      const api = backend().api;
      // The open project first: the review grid starts loading as soon as it is known.
      const recent = api.projects.recent();
      const folder = api.projects.defaultFolder();
      this.set(await api.projects.current());
      const [r, f] = await Promise.all([recent, folder, this.refresh()]);
      this.recent = r;
      this.defaultFolder = f;
    } catch (error) {
      handleError(error, 'Could not load projects');
    }
  }

  async refresh(): Promise<void> {
    if (!this.info) {
      this.status = null;
      return;
    }
    try {
      this.status = await backend().api.projects.status();
    } catch (error) {
      handleError(error, 'Could not read project status');
    }
  }

  create(path: string, name?: string): Promise<boolean> {
    return this.run('Could not create the project', () =>
      name ? backend().api.projects.create(path, name) : backend().api.projects.create(path),
    );
  }

  open(path: string): Promise<boolean> {
    return this.run('Could not open the project', () => backend().api.projects.open(path));
  }

  createDemo(): Promise<boolean> {
    return this.run('Could not create the demo project', () => backend().api.projects.createDemo());
  }

  async close(): Promise<void> {
    try {
      await backend().api.projects.close();
      this.set(null);
    } catch (error) {
      handleError(error, 'Could not close the project');
    }
  }

  /**
   * "Open a folder of images": the services make (or reopen) its project in the app's own projects folder,
   * never inside the user's folder, and scan it. Returns the error message, or null.
   */
  async openImageFolder(folder: string): Promise<string | null> {
    this.busy = true;
    try {
      this.set(await backend().api.projects.openFolder(folder.trim()));
      await this.refresh();
      this.recent = await backend().api.projects.recent();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }

  async addSource(folder: string, role: Role, scan = true): Promise<boolean> {
    try {
      const source = await backend().api.sources.add(folder, role);
      if (scan) await jobs.start('scan', () => backend().api.jobs.scan(source.id));
      appEvents.emit('sources.changed', null);
      return true;
    } catch (error) {
      handleError(error, `Could not add ${folder}`);
      return false;
    }
  }

  /** Called for 'project.changed' events pushed by the services (e.g. the CLI opened another project). */
  set(info: ProjectInfo | null): void {
    const changed = info?.path !== this.info?.path;
    this.info = info;
    if (!changed) return;
    if (!info) this.status = null;
    appEvents.emit('project.opened', info);
    backend()
      .api.projects.recent()
      .then((r) => (this.recent = r))
      .catch(() => undefined); // the recent list is a convenience
  }

  private async run(message: string, fn: () => Promise<ProjectInfo>): Promise<boolean> {
    this.busy = true;
    try {
      this.set(await fn());
      await this.refresh();
      this.recent = await backend().api.projects.recent();
      return true;
    } catch (error) {
      handleError(error, message);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const project = new ProjectState();
