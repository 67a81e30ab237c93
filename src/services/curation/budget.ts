// `curation.budget` and `curation.drawAudit`: the review-budget assistant over the current run's default score.
// Rejected = OOD; kept or relabelled = in-distribution; unsure counts as undecided.
import { addAuditSample, auditSampleIds, type CurationImage } from '../../db/curation-repo.js';
import { auditSample, planBudget, type BudgetImage } from '../../engine/curation/review-budget.js';
import type { BudgetReport } from '../../shared/curation-dto.js';
import { AppError } from '../../shared/errors.js';
import { imagesOf, requireRun } from './run.js';
import type { ProjectHandle } from '../project-handle.js';

function budgetImages(p: ProjectHandle): {
  runId: number;
  scorer: string;
  images: CurationImage[];
  budget: BudgetImage[];
} {
  const run = requireRun(p);
  const images = imagesOf(p, run).filter((im) => im.score !== null);
  if (images.length === 0) throw new AppError('no-run', 'the current run scored no image: train first');
  const audit = auditSampleIds(p.db, run.id);
  const budget = images.map((im): BudgetImage => {
    const a = im.decision?.action;
    const decision = a === 'reject' ? 'ood' : a === 'keep' || a === 'relabel' ? 'id' : null;
    return { score: im.score!, decision, audit: audit.has(im.id) };
  });
  return { runId: run.id, scorer: run.defaultScorer, images, budget };
}

export function computeBudget(p: ProjectHandle, reviews: number): BudgetReport {
  const { runId, scorer, budget } = budgetImages(p);
  const plan = planBudget(budget, reviews);
  const auditPending = budget.filter((b) => b.audit && b.decision === null).length;
  return { runId, scorer, auditPending, ...plan };
}

/** Draws `size` unreviewed images below the budget's threshold into the audit sample; returns their ids. */
export function drawAudit(p: ProjectHandle, reviews: number, size: number): number[] {
  const { runId, images, budget } = budgetImages(p);
  const plan = planBudget(budget, reviews);
  const picked = auditSample(budget, plan.threshold, size, 5, Date.now() >>> 0).map((i) => images[i]!.id);
  addAuditSample(p.db, runId, picked, plan.threshold);
  return picked;
}
