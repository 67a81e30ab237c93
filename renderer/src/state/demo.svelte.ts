// "Try the demo" from start to the first decision: the services build the project and run one job that scans
// and trains; this waits for that job (its progress shows on the start page and in the header), then opens
// Review and the tour. A demo that already exists opens at once.
import { isAppError } from '../../../src/shared/errors.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { jobs } from './jobs.svelte.js';
import { project } from './project.svelte.js';
import { tour } from './tour.svelte.js';
import { ui } from './ui.svelte.js';

export type DemoPhase = 'idle' | 'creating' | 'building' | 'failed';

class DemoState {
  phase = $state<DemoPhase>('idle');
  error = $state<string | null>(null);
  /** Why this window is following a build it did not start. */
  note = $state<string | null>(null);

  constructor() {
    appEvents.on('job.finished', (r) => {
      if (r.kind !== 'demo' || this.phase !== 'building') return;
      if (r.outcome === 'done') this.ready();
      else {
        this.phase = 'failed';
        this.error = r.error ?? r.outcome;
      }
    });
  }

  async start(): Promise<void> {
    if (this.phase === 'creating' || this.phase === 'building') return;
    this.phase = 'creating';
    this.error = null;
    this.note = null;
    try {
      project.set(await backend().api.projects.createDemo());
    } catch (error) {
      // Started a moment ago in another window: follow that build instead of failing.
      if (!(isAppError(error, 'busy') && (await this.follow()))) {
        this.phase = 'failed';
        this.error = error instanceof Error ? error.message : String(error);
        return;
      }
      this.note = error instanceof Error ? error.message : String(error);
      return;
    }
    if (!(await this.follow())) this.ready();
  }

  /** Wait for a demo job already running; false if there is none. */
  private async follow(): Promise<boolean> {
    try {
      const running = await backend().api.jobs.active();
      if (running?.kind !== 'demo') return false;
      jobs.onProgress(running);
      this.phase = 'building';
      return true;
    } catch (error) {
      handleError(error, 'Could not read the demo job');
      return false;
    }
  }

  private ready(): void {
    this.phase = 'idle';
    ui.go('review');
    tour.start();
  }
}

export const demo = new DemoState();
