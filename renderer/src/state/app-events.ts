// How the state classes tell each other what happened, without importing each other.
import type { ProjectInfo, RunSummary } from '../../../src/shared/dto.js';
import { EventBus } from '../lib/event-bus.js';

export type View = 'projects' | 'train' | 'review' | 'runs' | 'moved' | 'settings';

export interface AppEvents {
  /** A project was opened, created or closed. */
  'project.opened': ProjectInfo | null;
  /** Decisions were recorded or undone for these images. */
  'decisions.changed': { imageIds: number[] };
  /** A run finished or another run became current: scores changed. */
  'run.changed': RunSummary | null;
  /** Sources were added or scanned. */
  'sources.changed': null;
  navigate: View;
}

export const appEvents = new EventBus<AppEvents>();
