// `jobs`: the long work (scan, train, score, evaluate, export) started one at a time on the job runner. Each
// method returns at once with the job's reference; progress and the outcome arrive as events, or via `wait`.
import { resolve } from 'node:path';
import type { JobService } from '../shared/api.js';
import type { JobKind, JobRef } from '../shared/dto.js';
import type { ServiceContext } from './context.js';
import { runEvalFolders } from './jobs/eval-folders-job.js';
import { runExport } from './jobs/export-job.js';
import { runScan } from './jobs/scan-job.js';
import { runScore } from './jobs/score-job.js';
import { runTraining } from './jobs/train-job.js';
import type { JobBody } from './job-runner.js';
import type { ProjectHandle } from './project-handle.js';

export function createJobService(ctx: ServiceContext): JobService {
  /** The project is taken when the job is asked for: closing it later cannot switch a running job's project. */
  const start = (kind: JobKind, body: (p: ProjectHandle) => JobBody): Promise<JobRef> => {
    const p = ctx.current();
    return Promise.resolve(ctx.jobs.start(kind, body(p)));
  };
  return {
    scan: (sourceId) => start('scan', (p) => (job) => runScan(p, job, { sourceId })),
    train: (options) =>
      start('train', (p) => async (job) => {
        const run = await runTraining(p, await ctx.engines.get(options.backend), options, job);
        ctx.bus.emit('run.done', run);
        return run;
      }),
    score: () => start('score', (p) => async (job) => runScore(p, await ctx.engines.get(), job)),
    evalFolders: (ood, id) =>
      start(
        'eval',
        (p) => async (job) =>
          runEvalFolders(p, await ctx.engines.get(), resolve(ood), id ? resolve(id) : undefined, job),
      ),
    export: (options) => start('export', (p) => (job) => runExport(p, { ...options, out: resolve(options.out) }, job)),
    async cancel(jobId) {
      ctx.jobs.cancel(jobId);
    },
    async active() {
      return ctx.jobs.active();
    },
    wait: (jobId) => ctx.jobs.wait(jobId),
  };
}
