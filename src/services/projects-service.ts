// `projects`: create, open and close the one open project, the recent list, the status page, and the demo.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processIsAlive } from './process-alive.js';
import {
  addSource,
  classCounts,
  currentRun,
  decisionCounts,
  errorCounts,
  failStaleRuns,
  listSources,
  statusCounts,
} from '../db/index.js';
import type { ProjectService } from '../shared/api.js';
import type { ProjectInfo, ProjectStatus } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { defaultProjectsDir } from './app-paths.js';
import { readAppSettings } from './app-settings.js';
import { followProject } from './external-writes.js';
import { openFolderProject } from './open-folder.js';
import type { ServiceContext } from './context.js';
import { runScan } from './jobs/scan-job.js';
import { runTraining } from './jobs/train-job.js';
import { createProject, isProjectFolder, openProject, type ProjectHandle } from './project-handle.js';

const RESOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
export const DEFAULT_DEMO_DIR = join(RESOURCES, 'demo');

export function createProjectService(ctx: ServiceContext, demoDir = DEFAULT_DEMO_DIR): ProjectService {
  return {
    async current() {
      return ctx.project?.info() ?? null;
    },
    async create(path, name) {
      return setProject(ctx, createProject(path, name));
    },
    async open(path) {
      const abs = resolve(path);
      if (ctx.project?.path === abs) return ctx.project.info();
      return setProject(ctx, openProject(abs));
    },
    async close() {
      await ctx.jobs.stop();
      followProject(ctx, null, ctx.bus);
      ctx.project?.close();
      ctx.project = null;
      ctx.bus.emit('project.changed', null);
    },
    async recent() {
      return ctx.recent.list();
    },
    status: () => projectStatus(ctx),
    async createDemo(path) {
      return createDemo(ctx, demoDir, resolve(path ?? join(defaultProjectsDir(), 'demo')));
    },
    async defaultFolder() {
      return defaultProjectsDir();
    },
    async openFolder(folder) {
      return openFolderProject(ctx, folder, (handle) => setProject(ctx, handle));
    },
  };
}

function setProject(ctx: ServiceContext, handle: ProjectHandle): ProjectInfo {
  if (ctx.project && ctx.project.path !== handle.path) ctx.project.close();
  ctx.project = handle;
  // Another process (the command line) writing to this project shows in every window.
  followProject(ctx, handle.db, ctx.bus);
  // A run left 'running' by a killed process will never finish: say so instead of showing it forever. A run another
  // live process trains (`ssod train` in a terminal) is not touched.
  failStaleRuns(handle.db, processIsAlive);
  const info = handle.info();
  ctx.recent.remember(info.path, info.name);
  ctx.bus.emit('project.changed', info);
  return info;
}

async function projectStatus(ctx: ServiceContext): Promise<ProjectStatus> {
  const p = ctx.current();
  const run = currentRun(p.db);
  const status = await ctx.engines
    .peek()
    ?.status()
    .catch(() => null);
  return {
    project: p.info(),
    sources: listSources(p.db),
    classes: classCounts(p.db),
    byStatus: statusCounts(p.db),
    errorsByCode: errorCounts(p.db),
    decisions: decisionCounts(p.db),
    currentRun: run ? (({ modelPath: _m, lossCurve: _l, classes: _c, snapshot: _s, ...r }) => r)(run) : null,
    engine: status ? { backend: status.backend.name, skipped: status.backend.skipped, workers: status.workers } : null,
    reviewer: readAppSettings(ctx.dataDir).reviewer,
  };
}

function createDemo(ctx: ServiceContext, demoDir: string, target: string): ProjectInfo {
  // Two windows clicking at once: one builds, the other is told (and follows the build's progress).
  if (ctx.jobs.active()?.kind === 'demo') {
    throw new AppError('busy', 'the demo is already being built; its progress shows on the start page');
  }
  if (isProjectFolder(target)) return setProject(ctx, openProject(target));
  if (!existsSync(join(demoDir, 'train'))) {
    throw new AppError('not-found', `demo images are missing from this installation (${demoDir})`);
  }
  // The demo's images are copied next to the project so the project never depends on the install folder.
  const dataCopy = `${target}-images`;
  if (!existsSync(dataCopy)) cpSync(demoDir, dataCopy, { recursive: true });
  const info = setProject(ctx, createProject(target, 'Demo: Fashion-MNIST'));
  const p = ctx.current();
  addSource(p.db, join(dataCopy, 'train'), 'train');
  addSource(p.db, join(dataCopy, 'inbox'), 'inbox');
  // Scan and train in one job so a new user lands on flagged images without another click.
  ctx.jobs.start('demo', async (job) => {
    await runScan(p, job);
    return runTraining(p, await ctx.engines.get(), { epochs: 30 }, job);
  });
  return info;
}
