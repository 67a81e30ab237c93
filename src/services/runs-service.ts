import {
  currentDecisions,
  currentRun,
  flaggedByImage,
  getImages,
  getRun,
  listRuns,
  previousRun,
  scoresByImage,
  scoresOfImages,
  setCurrentRun,
  type Db,
} from '../db/index.js';
import { oodReport, rocCurve, thresholdAtPassRate } from '../engine/metrics/index.js';
import type { RunService } from '../shared/api.js';
import type { DiffRow, EvalReport, RocCurve, RunDiff } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { ServiceContext } from './context.js';

export function createRunService(ctx: ServiceContext): RunService {
  return {
    async list() {
      return listRuns(ctx.current().db);
    },
    async get(id) {
      const { modelPath: _m, ...run } = getRun(ctx.current().db, id);
      return run;
    },
    async setCurrent(id) {
      const run = getRun(ctx.current().db, id);
      if (run.status !== 'done') throw new AppError('refused', `run #${id} did not finish (${run.status})`);
      const summary = setCurrentRun(ctx.current().db, id);
      ctx.bus.emit('run.done', summary);
      return summary;
    },
    async diff(runA, runB, limit) {
      return diffRuns(ctx.current().db, runA, runB, limit ?? 100);
    },
    async evalFromReviews(idPassRate) {
      return evalFromReviews(ctx.current().db, idPassRate ?? 0.95);
    },
  };
}

export function diffRuns(db: Db, a: number | undefined, b: number | undefined, limit: number): RunDiff {
  const runB = b !== undefined ? getRun(db, b) : currentRun(db);
  if (!runB) throw new AppError('no-run', 'no run yet: train first');
  const runA = a !== undefined ? getRun(db, a) : previousRun(db, runB.id);
  if (!runA) throw new AppError('no-run', `run #${runB.id} has no earlier run to compare with`);
  const scorer = runB.defaultScorer;
  const scoresA = scoresByImage(db, runA.id, scorer);
  const scoresB = scoresByImage(db, runB.id, scorer);
  const flagsA = flaggedByImage(db, runA.id);
  const flagsB = flaggedByImage(db, runB.id);
  const ids = new Set([...scoresA.keys(), ...scoresB.keys()]);
  type Raw = Omit<DiffRow, 'path'>;
  const rows: Raw[] = [];
  for (const imageId of ids) {
    rows.push({
      imageId,
      scoreA: scoresA.get(imageId) ?? null,
      scoreB: scoresB.get(imageId) ?? null,
      flaggedA: flagsA.get(imageId) ?? null,
      flaggedB: flagsB.get(imageId) ?? null,
    });
  }
  const newlyFlagged = rows.filter((r) => r.flaggedB === true && r.flaggedA !== true);
  const newlyCleared = rows.filter((r) => r.flaggedA === true && r.flaggedB === false);
  const change = (r: Raw): number => Math.abs((r.scoreB ?? 0) - (r.scoreA ?? 0));
  const largest = rows
    .filter((r) => r.scoreA !== null && r.scoreB !== null)
    .sort((x, y) => change(y) - change(x))
    .slice(0, limit);
  const withPaths = (list: Raw[]): DiffRow[] => {
    const top = list.slice(0, limit);
    const paths = new Map(
      getImages(
        db,
        top.map((r) => r.imageId),
      ).map((i) => [i.id, i]),
    );
    return top.map((r) => ({ ...r, path: paths.get(r.imageId)?.path ?? `#${r.imageId}` }));
  };
  const perClass = new Map<string, { flaggedA: number; flaggedB: number }>();
  const classes = new Map(getImages(db, [...ids]).map((i) => [i.id, i.class ?? '(inbox)']));
  for (const r of rows) {
    const c = classes.get(r.imageId) ?? '(inbox)';
    const entry = perClass.get(c) ?? { flaggedA: 0, flaggedB: 0 };
    if (r.flaggedA) entry.flaggedA++;
    if (r.flaggedB) entry.flaggedB++;
    perClass.set(c, entry);
  }
  return {
    runA: runA.id,
    runB: runB.id,
    scorer,
    newlyFlagged: withPaths(newlyFlagged.sort((x, y) => (y.scoreB ?? 0) - (x.scoreB ?? 0))),
    newlyCleared: withPaths(newlyCleared.sort((x, y) => (x.scoreB ?? 0) - (y.scoreB ?? 0))),
    largestChanges: withPaths(largest),
    perClass: [...perClass.entries()]
      .map(([c, v]) => ({ class: c, ...v }))
      .sort((x, y) => x.class.localeCompare(y.class)),
  };
}

/** Reviewers' decisions as ground truth: rejected = OOD, kept = ID. */
export function evalFromReviews(db: Db, idPassRate: number): EvalReport {
  const run = currentRun(db);
  if (!run) throw new AppError('no-run', 'no run yet: train first');
  const decisions = currentDecisions(db);
  const idIds: number[] = [];
  const oodIds: number[] = [];
  for (const [imageId, d] of decisions) {
    if (d.action === 'keep') idIds.push(imageId);
    else if (d.action === 'reject') oodIds.push(imageId);
  }
  const perScorer: EvalReport['perScorer'] = {};
  const roc: RocCurve[] = [];
  const decided = [...idIds, ...oodIds];
  for (const scorer of run.scorers) {
    // Only the decided images' scores: reading every score of a 1,000,000-image run took seconds per scorer.
    const scores = scoresOfImages(db, run.id, scorer, decided);
    const id = idIds.map((i) => scores.get(i)).filter((v): v is number => v !== undefined);
    const ood = oodIds.map((i) => scores.get(i)).filter((v): v is number => v !== undefined);
    if (id.length && ood.length) {
      // OOD scores in, ID as the positive class (an image passes when its score is at most the threshold).
      perScorer[scorer] = oodReport(id, ood);
      const points = rocCurve(id, ood);
      roc.push({ scorer, fpr: points.map((p) => p.fpr), tpr: points.map((p) => p.tpr) });
    }
  }
  const defaultScores = scoresOfImages(db, run.id, run.defaultScorer, idIds);
  const kept = idIds.map((i) => defaultScores.get(i)).filter((v): v is number => v !== undefined);
  return {
    idCount: idIds.length,
    oodCount: oodIds.length,
    perScorer,
    idAccuracy: null,
    suggestedThreshold: kept.length
      ? { scorer: run.defaultScorer, idPassRate, value: thresholdAtPassRate(kept, idPassRate) }
      : null,
    roc,
  };
}
