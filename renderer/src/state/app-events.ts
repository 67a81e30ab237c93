// How the state classes tell each other what happened, without importing each other. Server events enter
// here through live-sync.ts only, so every view refreshes from the same few announcements.
import type {
  EvalReport,
  JobProgress,
  JobResult,
  ProjectInfo,
  ReviewEvent,
  RunSummary,
} from '../../../src/shared/dto.js';
import { EventBus } from '../../../src/shared/event-bus.js';

export type View =
  'projects' | 'train' | 'review' | 'runs' | 'moved' | 'settings' | 'duplicates' | 'mislabelled' | 'budget' | 'map';

export interface AppEvents {
  /** The services opened, created or closed a project (any window, or the command line's `serve`). */
  'project.changed': ProjectInfo | null;
  /** A project was opened, created or closed: this window's project state changed. */
  'project.opened': ProjectInfo | null;
  /** Decisions were recorded or undone for these images. */
  'decisions.changed': { imageIds: number[] };
  /** Decisions arrived from the services (this window, another window or the command line). */
  'decisions.remote': { events: ReviewEvent[] };
  /** A run finished or another run became current: scores changed. */
  'run.changed': RunSummary | null;
  /** Sources were added or scanned: counts and images changed. */
  'sources.changed': null;
  /** Progress of the one running job. */
  'job.progress': JobProgress;
  /** A job ended (done, failed or cancelled). */
  'job.finished': JobResult;
  /** An evaluation on labelled folders finished. */
  'eval.done': EvalReport;
  navigate: View;
}

export const appEvents = new EventBus<AppEvents>();
