// Runs: the list, the current run's detail (loss curve, metrics), "what moved" and metrics from reviews.
import type { EvalReport, RunDetail, RunDiff, RunSummary } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';

class RunsState {
  list = $state<RunSummary[]>([]);
  current = $state<RunDetail | null>(null);
  diff = $state<RunDiff | null>(null);
  evalReport = $state<EvalReport | null>(null);
  /** The run the Runs view shows (default: the current one). */
  selected = $state<RunDetail | null>(null);
  /** The latest evaluation on a labelled OOD folder, from this session. */
  folderEval = $state<{ report: EvalReport; ood: string } | null>(null);
  private folderAsked: string | null = null;
  /** Set when a run finishes during this session, so the UI can offer "what moved". */
  freshRun = $state<number | null>(null);
  private evalTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    appEvents.on('project.opened', (p) => {
      this.list = [];
      this.current = null;
      this.diff = null;
      this.evalReport = null;
      this.selected = null;
      this.folderEval = null;
      if (p) void this.load();
    });
    appEvents.on('eval.done', (report) => {
      this.folderEval = { report, ood: this.folderAsked ?? '' };
    });
    appEvents.on('run.changed', (run) => {
      if (run) this.freshRun = run.id;
      this.diff = null;
      void this.load();
    });
    // Metrics from reviews follow the decisions; debounced so bulk reviewing stays fast.
    appEvents.on('decisions.changed', () => {
      if (this.evalTimer) clearTimeout(this.evalTimer);
      this.evalTimer = setTimeout(() => void this.loadEval(), 400);
    });
  }

  async load(): Promise<void> {
    try {
      const api = backend().api;
      this.list = await api.runs.list();
      const cur = this.list.find((r) => r.isCurrent);
      this.current = cur ? await api.runs.get(cur.id) : null;
      const keep = this.selected && this.list.some((r) => r.id === this.selected?.id) ? this.selected.id : null;
      this.selected = keep === null || keep === this.current?.id ? this.current : await api.runs.get(keep);
      await this.loadEval();
    } catch (error) {
      handleError(error, 'Could not load runs');
    }
  }

  async select(id: number): Promise<void> {
    try {
      this.selected = id === this.current?.id ? this.current : await backend().api.runs.get(id);
    } catch (error) {
      handleError(error, `Could not load run ${id}`);
    }
  }

  /** Remember which folder an evaluation job was asked for, to label its result. */
  evaluating(ood: string): void {
    this.folderAsked = ood;
  }

  async loadEval(): Promise<void> {
    if (!this.list.length) {
      this.evalReport = null;
      return;
    }
    try {
      this.evalReport = await backend().api.runs.evalFromReviews(0.95);
    } catch (error) {
      handleError(error, 'Could not compute metrics from reviews');
    }
  }

  async loadDiff(runA?: number, runB?: number): Promise<void> {
    try {
      // Trailing undefined arguments would cross the wire as null, which the services refuse: leave them out.
      const api = backend().api;
      if (runA === undefined && runB !== undefined) runA = this.list.filter((r) => r.id < runB).at(0)?.id;
      this.diff =
        runA === undefined
          ? await api.runs.diff()
          : runB === undefined
            ? await api.runs.diff(runA)
            : await api.runs.diff(runA, runB, 50);
    } catch (error) {
      this.diff = null;
      handleError(error, 'Could not compare runs');
    }
  }

  async makeCurrent(id: number): Promise<void> {
    try {
      await backend().api.runs.setCurrent(id);
      // null: a run made current by hand is not "fresh" (no what-moved prompt).
      appEvents.emit('run.changed', null);
    } catch (error) {
      handleError(error, `Could not make run ${id} current`);
    }
  }
}

export const runs = new RunsState();
