// `labeling`: suggestions, labels, bulk accept and undo, new classes, calibration (src/shared/labeling-api.ts).
// The parts live in ./labeling/: the per-run calibration and informative order, the legend and class rules,
// batch writing, bulk accept, the suggestion pages and the accuracy trend.
import { currentRun, getRun, type Db, type RunRecord } from '../db/index.js';
import { getBatch, listBatches, undoLabelBatch } from '../db/labels-repo.js';
import { AppError } from '../shared/errors.js';
import type { LabelingService } from '../shared/labeling-api.js';
import type { CalibrationReport, LabelInput, LabelResult } from '../shared/labeling-dto.js';
import { readAppSettings } from './app-settings.js';
import type { ServiceContext } from './context.js';
import { accuracyTrend } from './labeling/accuracy.js';
import { planBulk } from './labeling/bulk.js';
import { createClass, legend, resolveClass } from './labeling/legend.js';
import { prepareRun, runCalibration, type RunLabeling } from './labeling/run-labeling.js';
import { suggestionPage } from './labeling/suggestions.js';
import { labelTargets, writeBatch } from './labeling/write-labels.js';

function reviewerName(ctx: ServiceContext, given: string | undefined): string {
  const name = (given ?? readAppSettings(ctx.dataDir).reviewer ?? '').trim();
  if (!name) throw new AppError('invalid-argument', 'set your reviewer name first (Settings, or --reviewer NAME)');
  return name;
}

function doneRun(db: Db, runId?: number): RunRecord {
  const run = runId === undefined ? currentRun(db) : getRun(db, runId);
  if (!run) throw new AppError('no-run', 'no run yet: train first, then there are suggestions');
  if (run.status !== 'done') throw new AppError('no-run', `run ${run.id} is ${run.status}: it has no suggestions`);
  return run;
}

/** The current run's labeling state, or null without a finished current run (labels by hand still work). */
function optionalLabeling(db: Db): RunLabeling | null {
  const run = currentRun(db);
  return run && run.status === 'done' ? prepareRun(db, run) : null;
}

function report(labeling: RunLabeling): CalibrationReport {
  return { runId: labeling.run.id, ...labeling.fit };
}

function label(ctx: ServiceContext, input: LabelInput): LabelResult {
  const { db } = ctx.current();
  const reviewer = reviewerName(ctx, input.reviewer);
  const rows = labelTargets(db, input.imageIds);
  const target = resolveClass(db, input);
  const labeling = optionalLabeling(db);
  const result = db
    .transaction(() => {
      if (target.create) createClass(db, target.name);
      return writeBatch(db, labeling, {
        rows,
        classOf: () => target.name,
        method: input.method ?? 'manual',
        reviewer,
        note: input.note?.trim() || null,
        created: target.create ? [target.name] : [],
      });
    })
    .immediate();
  ctx.bus.emit('decision.made', { events: result.events, action: 'relabel' });
  return result;
}

function accept(ctx: ServiceContext, input: { imageIds: number[]; note?: string; reviewer?: string }): LabelResult {
  const { db } = ctx.current();
  const reviewer = reviewerName(ctx, input.reviewer);
  const labeling = prepareRun(db, doneRun(db));
  const rows = labelTargets(db, input.imageIds);
  const result = writeBatch(db, labeling, {
    rows,
    classOf: (row, suggested) => {
      if (!suggested) throw new AppError('refused', `${row.path} has no suggestion to accept: nothing labelled`);
      return suggested.class;
    },
    method: 'accept',
    reviewer,
    note: input.note?.trim() || null,
  });
  ctx.bus.emit('decision.made', { events: result.events, action: 'relabel' });
  return result;
}

function watchRuns(ctx: ServiceContext): void {
  // Fitted when a run finishes (or when a project opens on a run made before), so listings show calibrated
  // confidences and the informative order without waiting for the first labeling call.
  const prepare = (): void => {
    const db = ctx.project?.db;
    if (!db?.open) return;
    try {
      const run = currentRun(db);
      if (run?.status === 'done') prepareRun(db, run);
    } catch {
      // Best effort only: every labeling call prepares the run again and reports a failure itself.
    }
  };
  ctx.bus.on('run.done', prepare);
  ctx.bus.on('project.changed', prepare);
}

export function createLabelingService(ctx: ServiceContext): LabelingService {
  watchRuns(ctx);
  const db = () => ctx.current().db;
  return {
    classes: async () => legend(db(), currentRun(db())),
    async createClass(name) {
      createClass(db(), name);
      return legend(db(), currentRun(db())).classes.find((c) => c.name === name)!;
    },
    suggestions: async (query) => suggestionPage(db(), prepareRun(db(), doneRun(db())), query),
    label: async (input) => label(ctx, input),
    accept: async (input) => accept(ctx, input),
    previewBulk: async (options) => planBulk(db(), prepareRun(db(), doneRun(db())), options).preview,
    async bulkAccept(input) {
      const reviewer = reviewerName(ctx, input.reviewer);
      const labeling = prepareRun(db(), doneRun(db()));
      const { preview, chosen } = planBulk(db(), labeling, input);
      if (preview.count === 0) {
        throw new AppError(
          'refused',
          `no unlabelled suggestion at or above ${input.minConfidence} that is not flagged as OOD: nothing labelled`,
        );
      }
      const result = writeBatch(db(), labeling, {
        rows: labelTargets(db(), [...chosen.keys()]),
        classOf: (row) => chosen.get(row.id)!,
        method: 'bulk',
        reviewer,
        note: input.note?.trim() || null,
        minConfidence: input.minConfidence,
      });
      ctx.bus.emit('decision.made', { events: result.events, action: 'relabel' });
      return { ...result, preview };
    },
    async undoBatch(batchId, reviewer) {
      const name = reviewerName(ctx, reviewer);
      if (!getBatch(db(), batchId)) throw new AppError('not-found', `no label batch ${batchId}`);
      const undone = undoLabelBatch(db(), batchId, name, currentRun(db())?.id ?? null);
      ctx.bus.emit('decision.made', { events: undone.events, action: 'undo' });
      return { batchId, ...undone };
    },
    batches: async (limit) => listBatches(db(), limit ?? 50),
    calibration: async (runId) => report(runCalibration(db(), doneRun(db(), runId))),
    accuracy: async () => accuracyTrend(db()),
  };
}
