// The one subscription to the services' events. Each server event becomes one or more announcements on
// appEvents; views and state classes listen there and never subscribe (or poll) on their own. A job that ends
// tells every view what it changed: a scan changes counts and images, a train/score/demo run changes scores,
// the histogram and the current run.
import type { EvalReport, JobKind, JobResult, RunSummary } from '../../../src/shared/dto.js';
import type { Backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';

const CHANGES_SOURCES: ReadonlySet<JobKind> = new Set<JobKind>(['scan', 'train', 'score', 'demo']);
const CHANGES_RUN: ReadonlySet<JobKind> = new Set<JobKind>(['train', 'score', 'demo']);

function isRunSummary(value: unknown): value is RunSummary {
  return typeof value === 'object' && value !== null && 'id' in value && 'scorers' in value;
}

/** Subscribe once (main.ts); returns the unsubscribe. */
export function connectLive(backend: Backend): () => void {
  // A train job announces its run twice (run.done, then job.finished with the run): views reload once.
  let announcedRun: number | null = null;
  const announceRun = (run: RunSummary | null) => {
    if (run && run.id === announcedRun) return;
    announcedRun = run?.id ?? null;
    appEvents.emit('run.changed', run);
  };
  const onFinished = (r: JobResult) => {
    appEvents.emit('job.finished', r);
    if (r.outcome !== 'done') return;
    if (CHANGES_SOURCES.has(r.kind)) appEvents.emit('sources.changed', null);
    if (CHANGES_RUN.has(r.kind)) announceRun(isRunSummary(r.result) ? r.result : null);
    if (r.kind === 'eval' && r.result) appEvents.emit('eval.done', r.result as EvalReport);
  };
  const offs = [
    backend.on('project.changed', (info) => {
      announcedRun = null;
      appEvents.emit('project.changed', info);
    }),
    backend.on('job.progress', (p) => appEvents.emit('job.progress', p)),
    backend.on('job.finished', onFinished),
    backend.on('run.done', (run) => announceRun(run)),
    backend.on('decision.made', ({ events }) => appEvents.emit('decisions.remote', { events })),
  ];
  return () => offs.forEach((off) => off());
}
