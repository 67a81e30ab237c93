// What every service module receives (`createXService(ctx)`): the open project, the event bus, the job runner,
// the engine pool, the recent-projects list and the app data folder. One instance per app process.
import { AppError } from '../shared/errors.js';
import type { EnginePool } from './engine-pool.js';
import type { ApiEvents } from '../shared/api.js';
import type { EventBus } from '../shared/event-bus.js';
import type { JobRunner } from './job-runner.js';
import type { ProjectHandle } from './project-handle.js';
import type { RecentProjects } from './recent-projects.js';

export class ServiceContext {
  project: ProjectHandle | null = null;

  constructor(
    readonly bus: EventBus<ApiEvents>,
    readonly jobs: JobRunner,
    readonly engines: EnginePool,
    readonly recent: RecentProjects,
    readonly dataDir: string,
  ) {}

  current(): ProjectHandle {
    if (!this.project) throw new AppError('no-project-open', 'no project is open; create or open one first');
    return this.project;
  }
}
