// The services: `Api` implemented on the store, the scanner and the engine. One instance per app process
// (Electron main, `ssod serve`, each CLI command); every transport reaches the same object.
import { cpSync, existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve, isAbsolute, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addSource,
  classCounts,
  currentRun,
  decisionCounts,
  errorCounts,
  failStaleRuns,
  findSourceByPath,
  getSetting,
  listSources,
  setSetting,
  statusCounts,
} from '../db/index.js';
import type { Api, ImageVariant } from '../shared/api.js';
import type { JobRef, ProjectInfo, Settings } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { appDataDir, defaultProjectsDir } from './app-paths.js';
import { ServiceContext } from './context.js';
import { EnginePool, defaultEngineFactory, type EngineFactory } from './engine-pool.js';
import { EventBus } from './event-bus.js';
import { verifyExport } from './export/write-export.js';
import { runExport } from './export-job.js';
import { imageBytes, type ImageBytes } from './image-bytes.js';
import { createImageService } from './images-service.js';
import { JobRunner } from './job-runner.js';
import { createProject, isProjectFolder, openProject } from './project-handle.js';
import { RecentProjects } from './recent-projects.js';
import { createReviewService } from './review-service.js';
import { createRunService } from './runs-service.js';
import { runScan } from './scan-job.js';
import { runEvalFolders, runScore } from './score-job.js';
import { runTraining } from './train-job.js';

export interface ServicesOptions {
  /** App data folder (recent projects, default projects folder). Default: per-user, or $SSOD_HOME. */
  dataDir?: string;
  engineFactory?: EngineFactory;
  /** Where the demo images live (resources/demo). */
  demoDir?: string;
}

export interface Services {
  api: Api;
  bus: EventBus;
  images(variant: ImageVariant, id: number): Promise<ImageBytes>;
  close(): Promise<void>;
}

const RESOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

export function createServices(options: ServicesOptions = {}): Services {
  const dataDir = options.dataDir ?? appDataDir();
  const bus = new EventBus();
  const jobs = new JobRunner(bus);
  const engines = new EnginePool(options.engineFactory ?? defaultEngineFactory());
  const ctx = new ServiceContext(bus, jobs, engines, new RecentProjects(dataDir), dataDir);
  const demoDir = options.demoDir ?? join(RESOURCES, 'demo');

  const setProject = (handle: ReturnType<typeof openProject>): ProjectInfo => {
    if (ctx.project && ctx.project.path !== handle.path) ctx.project.close();
    ctx.project = handle;
    // A run left 'running' by a killed process will never finish: say so instead of showing it forever.
    failStaleRuns(handle.db);
    const info = handle.info();
    ctx.recent.remember(info.path, info.name);
    bus.emit('project.changed', info);
    return info;
  };

  const start = (kind: JobRef['kind'], body: Parameters<JobRunner['start']>[1]): Promise<JobRef> =>
    Promise.resolve(jobs.start(kind, body));

  const api: Api = {
    projects: {
      async current() {
        return ctx.project?.info() ?? null;
      },
      async create(path, name) {
        return setProject(createProject(path, name));
      },
      async open(path) {
        const abs = resolve(path);
        if (ctx.project?.path === abs) return ctx.project.info();
        return setProject(openProject(abs));
      },
      async close() {
        await jobs.stop();
        ctx.project?.close();
        ctx.project = null;
        bus.emit('project.changed', null);
      },
      async recent() {
        return ctx.recent.list();
      },
      async status() {
        const p = ctx.current();
        const run = currentRun(p.db);
        const status = await engines
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
          engine: status
            ? {
                backend: status.backend.name,
                skipped: status.backend.skipped,
                workers: status.workers,
              }
            : null,
          reviewer: getSetting<string | null>(p.db, 'reviewer', null),
        };
      },
      async createDemo(path) {
        const target = resolve(path ?? join(defaultProjectsDir(), 'demo'));
        if (isProjectFolder(target)) return setProject(openProject(target));
        if (!existsSync(join(demoDir, 'train'))) {
          throw new AppError('not-found', `demo images are missing from this installation (${demoDir})`);
        }
        // The demo's images are copied next to the project so the project never depends on the install folder.
        const dataCopy = `${target}-images`;
        if (!existsSync(dataCopy)) cpSync(demoDir, dataCopy, { recursive: true });
        const info = setProject(createProject(target, 'Demo: Fashion-MNIST'));
        const p = ctx.current();
        if (!getSetting<string | null>(p.db, 'reviewer', null)) setSetting(p.db, 'reviewer', 'demo reviewer');
        addSource(p.db, join(dataCopy, 'train'), 'train');
        addSource(p.db, join(dataCopy, 'inbox'), 'inbox');
        // Scan and train in one job so a new user lands on flagged images without another click.
        jobs.start('demo', async (job) => {
          await runScan(p, job);
          return runTraining(p, await engines.get(), { epochs: 30 }, job);
        });
        return info;
      },
      async defaultFolder() {
        return defaultProjectsDir();
      },
    },

    sources: {
      async list() {
        return listSources(ctx.current().db);
      },
      async add(folder, role) {
        const p = ctx.current();
        const abs = realOrResolved(folder);
        if (!existsSync(abs)) throw new AppError('not-found', `no such folder: ${abs}`);
        if (role !== 'train' && role !== 'inbox') throw new AppError('invalid-argument', 'role must be train or inbox');
        const projectReal = realOrResolved(p.path);
        if (isInside(abs, projectReal))
          throw new AppError('refused', `a source cannot be inside the project folder: ${abs}`);
        if (isInside(projectReal, abs)) {
          throw new AppError('refused', `the project folder lies inside ${abs}; keep projects outside source folders`);
        }
        const existing = findSourceByPath(p.db, abs);
        if (existing) return existing;
        for (const s of listSources(p.db)) {
          if (isInside(abs, s.path) || isInside(s.path, abs)) {
            throw new AppError('refused', `${abs} overlaps the existing source ${s.path}`);
          }
        }
        return addSource(p.db, abs, role);
      },
    },

    images: createImageService(ctx),
    review: createReviewService(ctx),
    runs: createRunService(ctx),

    jobs: {
      scan(sourceId) {
        const p = ctx.current();
        return start('scan', (job) => runScan(p, job, { sourceId }));
      },
      train(options) {
        const p = ctx.current();
        return start('train', async (job) => {
          const run = await runTraining(p, await engines.get(options.backend), options, job);
          bus.emit('run.done', run);
          return run;
        });
      },
      score() {
        const p = ctx.current();
        return start('score', async (job) => runScore(p, await engines.get(), job));
      },
      evalFolders(ood, id) {
        const p = ctx.current();
        return start('eval', async (job) =>
          runEvalFolders(p, await engines.get(), resolve(ood), id ? resolve(id) : undefined, job),
        );
      },
      export(options) {
        const p = ctx.current();
        if (!options.out) return Promise.reject(new AppError('invalid-argument', 'export needs an output folder'));
        return start('export', (job) => runExport(p, { ...options, out: resolve(options.out) }, job));
      },
      async cancel(jobId) {
        jobs.cancel(jobId);
      },
      async active() {
        return jobs.active();
      },
      wait(jobId) {
        return jobs.wait(jobId);
      },
    },

    exports: {
      async verify(out) {
        return verifyExport(out);
      },
    },

    settings: {
      async get() {
        const p = ctx.project;
        return {
          reviewer: p ? getSetting<string | null>(p.db, 'reviewer', null) : null,
          theme: p ? getSetting<Settings['theme']>(p.db, 'theme', 'system') : 'system',
        };
      },
      async set(patch) {
        const p = ctx.current();
        if (patch.reviewer !== undefined) {
          const name = patch.reviewer?.trim() ?? '';
          if (!name || name.length > 100)
            throw new AppError('invalid-argument', 'reviewer name must be 1–100 characters');
          setSetting(p.db, 'reviewer', name);
        }
        if (patch.theme !== undefined) {
          if (!['light', 'dark', 'system'].includes(patch.theme))
            throw new AppError('invalid-argument', 'theme must be light, dark or system');
          setSetting(p.db, 'theme', patch.theme);
        }
        return this.get();
      },
    },
  };

  return {
    api,
    bus,
    images: (variant, id) => imageBytes(ctx.project, variant, id),
    async close() {
      await jobs.stop();
      await engines.close();
      ctx.project?.close();
      ctx.project = null;
    },
  };
}
