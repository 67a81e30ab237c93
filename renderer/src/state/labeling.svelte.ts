// Labeling: the class legend behind the number keys, and every way of giving images a class — a number key, Enter
// (each image's own suggestion), a picked or typed class (created when new), a cluster, a bulk accept. The labels go
// through the labeling service; the grid's rows, the one undo stack and the toasts are the review state's.
import type { ImageRow } from '../../../src/shared/dto.js';
import type {
  AccuracyTrend,
  BulkAcceptOptions,
  BulkPreview,
  CalibrationReport,
  ClassLegend,
  LabelClass,
  LabelMethod,
  LabelResult,
} from '../../../src/shared/labeling-dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { review } from './review.svelte.js';
import { settings } from './settings.svelte.js';
import { toasts } from './toasts.svelte.js';

/** The services take at most this many images per labeling call; a bigger selection goes in several batches. */
const MAX_PER_CALL = 100_000;

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Waiting for a class, with a suggestion to accept: what Enter applies to. */
export function canAccept(row: ImageRow): boolean {
  return row.status === 'ok' && row.class === null && !!row.suggestion && row.decision?.action !== 'reject';
}

/** Images a class picked by hand goes to through the labeling service (a label) rather than a review relabel. */
export function labelsRatherThanRelabels(rows: ImageRow[]): boolean {
  return rows.length > 0 && rows.every((r) => r.role === 'inbox');
}

/** The explicit images a dialog labels (the similar strip's neighbours), instead of the grid's targets. */
export interface LabelTargets {
  ids: number[];
  method: LabelMethod;
  /** What the dialog says it labels, e.g. "this image and 12 like it". */
  description: string;
}

class LabelingState {
  legend = $state<ClassLegend | null>(null);
  accuracy = $state<AccuracyTrend | null>(null);
  /** Set while the class picker labels something other than the grid's selection. */
  targets = $state<LabelTargets | null>(null);
  /** Why the legend could not be loaded (said when a number key is pressed, not on every project open). */
  problem = $state<string | null>(null);
  /** The bulk-accept dialog is open (the review keys wait while it is). */
  bulkOpen = $state(false);
  calibration = $state<CalibrationReport | null>(null);
  calibrationProblem = $state<string | null>(null);
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    appEvents.on('project.opened', (p) => {
      this.legend = null;
      this.accuracy = null;
      this.targets = null;
      this.bulkOpen = false;
      this.calibration = null;
      if (p) void this.load();
    });
    appEvents.on('run.changed', () => void this.load());
    // Counts per class and the accuracy counter follow the labels; debounced so fast labelling stays fast.
    appEvents.on('decisions.changed', () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.load(), 300);
    });
  }

  async load(): Promise<void> {
    try {
      const api = backend().api;
      const [legend, accuracy] = await Promise.all([api.labeling.classes(), api.labeling.accuracy()]);
      this.legend = legend;
      this.accuracy = accuracy;
      this.problem = null;
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  /** The calibration of a run's suggestions (default: the current run) for the Runs view. */
  async loadCalibration(runId?: number): Promise<void> {
    try {
      const api = backend().api.labeling;
      this.calibration = runId === undefined ? await api.calibration() : await api.calibration(runId);
      this.calibrationProblem = null;
    } catch (error) {
      this.calibration = null;
      this.calibrationProblem = error instanceof Error ? error.message : String(error);
    }
  }

  classForKey(n: number): LabelClass | undefined {
    return this.legend?.classes.find((c) => c.key === n);
  }

  /** Every class name the picker offers: the legend's, else the project's classes. */
  get classNames(): string[] {
    return this.legend?.classes.map((c) => c.name) ?? review.classes;
  }

  /** `1`–`9`: the class with that number in the legend, for the selection (or the image under the cursor). */
  assignKey(n: number): Promise<boolean> {
    return review.track(this.assignKeyNow(n));
  }

  private async assignKeyNow(n: number): Promise<boolean> {
    const cls = this.classForKey(n);
    if (!cls && this.problem) {
      toasts.push('error', `Could not label: ${this.problem}`);
      return false;
    }
    if (!cls) {
      const count = this.legend?.classes.filter((c) => c.key !== null).length ?? 0;
      toasts.push('error', `No class ${n}: the legend has ${count === 0 ? 'no classes' : `classes 1–${count}`}`);
      return false;
    }
    return this.labelTargets(cls.name, false);
  }

  /**
   * The class picker's answer. A new class, explicit targets or inbox images become labels (with the suggestion
   * they saw in the audit trail); a train image's class changed by hand stays a review relabel.
   */
  pick(name: string, create: boolean): Promise<boolean> {
    return review.track(this.pickNow(name, create));
  }

  private async pickNow(name: string, create: boolean): Promise<boolean> {
    if (create || this.targets) return this.labelTargets(name, create);
    if (!(await settings.ensureReviewer())) return false;
    const rows = await review.targetRows();
    if (labelsRatherThanRelabels(rows)) return this.labelTargets(name, false);
    return review.decide('relabel', { newClass: name });
  }

  /** A class by name for the grid's targets, or for `targets` when a dialog was opened for other images. */
  labelTargets(name: string, create: boolean): Promise<boolean> {
    return review.track(this.labelTargetsNow(name, create));
  }

  private async labelTargetsNow(name: string, create: boolean): Promise<boolean> {
    if (!(await settings.ensureReviewer())) return false;
    const explicit = this.targets;
    this.targets = null;
    const rows = explicit ? null : await review.targetRows();
    const ids = explicit?.ids ?? rows?.map((r) => r.id) ?? [];
    if (!ids.length) return false;
    const method = explicit?.method ?? (ids.length > 1 && review.query.selection !== undefined ? 'cluster' : 'manual');
    const single = !explicit && ids.length === 1 && review.selection.size <= 1;
    const ok = await this.run(ids, single, (part) =>
      backend().api.labeling.label({ imageIds: part, class: name, create, method, reviewer: this.reviewer() }),
    );
    if (ok && !single) toasts.push('info', `Labelled ${ids.length} as ${name} · u undoes`);
    if (ok && create) {
      const needed = this.legend?.minExamples ?? 5;
      toasts.push('info', `Created class ${name}: training uses it once it has ${needed} examples`);
      await Promise.all([this.load(), review.loadMeta()]);
    }
    return ok;
  }

  /** Enter: each target takes its own suggestion; images with nothing to accept are left alone and counted. */
  acceptTargets(): Promise<boolean> {
    return review.track(this.acceptTargetsNow());
  }

  private async acceptTargetsNow(): Promise<boolean> {
    if (!(await settings.ensureReviewer())) return false;
    const rows = await review.targetRows();
    const ready = rows.filter(canAccept);
    const left = rows.length - ready.length;
    if (!ready.length) {
      if (rows.length) toasts.push('info', 'Nothing to accept: Enter accepts the suggestion of an unlabelled image');
      return false;
    }
    const single = rows.length === 1 && review.selection.size <= 1;
    const ok = await this.run(
      ready.map((r) => r.id),
      single,
      (part) => backend().api.labeling.accept({ imageIds: part, reviewer: this.reviewer() }),
    );
    if (ok && !single) {
      toasts.push('info', `Accepted ${ready.length} suggestions${left ? ` (${left} with none left as they are)` : ''}`);
    }
    return ok;
  }

  openBulk(): void {
    this.bulkOpen = true;
  }

  closeBulk(): void {
    this.bulkOpen = false;
  }

  preview(options: BulkAcceptOptions): Promise<BulkPreview> {
    return backend().api.labeling.previewBulk(options);
  }

  /** Bulk accept: one batch, one undo. Resolves with the labels written, or null when it was refused. */
  bulkAccept(options: BulkAcceptOptions): Promise<LabelResult | null> {
    return review.track(this.bulkAcceptNow(options));
  }

  private async bulkAcceptNow(options: BulkAcceptOptions): Promise<LabelResult | null> {
    if (!(await settings.ensureReviewer())) return null;
    try {
      const result = await backend().api.labeling.bulkAccept({ ...options, reviewer: this.reviewer() });
      review.recordLabels([result], false);
      toasts.push('info', `Accepted ${result.labels.length} suggestions · u undoes them all`);
      return result;
    } catch (error) {
      handleError(error, 'Could not accept the suggestions');
      return null;
    }
  }

  private reviewer(): string | undefined {
    return settings.reviewer ?? undefined;
  }

  private async run(ids: number[], single: boolean, call: (ids: number[]) => Promise<LabelResult>): Promise<boolean> {
    const results: LabelResult[] = [];
    try {
      for (const part of chunks(ids, MAX_PER_CALL)) results.push(await call(part));
      return true;
    } catch (error) {
      handleError(error, 'Could not label');
      return false;
    } finally {
      // Whatever was written stays visible and undoable, even when a later part was refused.
      if (results.length) review.recordLabels(results, single);
    }
  }
}

export const labeling = new LabelingState();
