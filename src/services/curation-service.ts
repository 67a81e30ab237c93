// `curation`: duplicates and leaks, likely label issues, the embeddings map and "more like this", image-quality
// flags and the review-budget assistant (src/shared/curation-api.ts). Algorithms live in src/engine/curation;
// heavy feature work runs on the curation worker thread; results are stored per run (src/db/curation-repo.ts).
import { recordReasons } from '../db/curation-repo.js';
import { appendDecisions, currentRun } from '../db/index.js';
import type { CurationService } from '../shared/curation-api.js';
import type { ReviewEvent } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { readAppSettings } from './app-settings.js';
import type { ServiceContext } from './context.js';
import { computeBudget, drawAudit } from './curation/budget.js';
import { computeDuplicates } from './curation/duplicates.js';
import { computeLabelIssues } from './curation/labels.js';
import { computeMap } from './curation/map.js';
import { computeQuality, refreshQualityFlags, setQualityThresholds } from './curation/quality.js';
import { selectImages } from './curation/selection.js';
import { findSimilar } from './curation/similar.js';
import { ensureImageSets } from '../db/image-sets.js';
import { WarmSimilar } from '../engine/curation/similar-client.js';
import type { ProjectHandle } from './project-handle.js';

/** As review-service.ts: the name given with the call, or else the one saved in the app's settings. */
function reviewerOf(ctx: ServiceContext, given: string | undefined): string {
  const name = (given ?? readAppSettings(ctx.dataDir).reviewer ?? '').trim();
  if (!name) throw new AppError('invalid-argument', 'set your reviewer name first (Settings, or --reviewer NAME)');
  return name;
}

/** Decisions with a reason, in one transaction: the events and why they were made land together. */
function decideWithReason(
  ctx: ServiceContext,
  p: ProjectHandle,
  decisions: { imageIds: number[]; action: 'reject' | 'relabel' | 'keep'; newClass?: string; note: string }[],
  reason: string,
  reviewer: string | undefined,
): ReviewEvent[] {
  const name = reviewerOf(ctx, reviewer);
  const runId = currentRun(p.db)?.id ?? null;
  const events = p.db.transaction(() =>
    decisions.flatMap((d) => {
      const evs = appendDecisions(p.db, {
        imageIds: d.imageIds,
        action: d.action,
        newClass: d.newClass ?? null,
        note: d.note,
        reviewer: name,
        runId,
      });
      recordReasons(
        p.db,
        evs.map((e) => e.id),
        reason,
      );
      return evs;
    }),
  )();
  for (const action of new Set(decisions.map((d) => d.action))) {
    ctx.bus.emit('decision.made', { events: events.filter((e) => e.action === action), action });
  }
  return events;
}

async function resolveDuplicates(
  ctx: ServiceContext,
  groupIds: number[],
  reviewer: string | undefined,
): Promise<ReviewEvent[]> {
  const p = ctx.current();
  const report = await computeDuplicates(p, {});
  const byId = new Map(report.groups.map((g) => [g.id, g]));
  const decisions = groupIds.map((id) => {
    const g = byId.get(id);
    if (!g) throw new AppError('not-found', `no duplicate group ${id} in the current run`);
    const keeper = g.images.find((im) => im.imageId === g.keeper);
    return {
      imageIds: g.images.filter((im) => im.imageId !== g.keeper).map((im) => im.imageId),
      action: 'reject' as const,
      note: `duplicate of ${keeper?.path ?? `image ${g.keeper}`} (${g.kind}, similarity ${g.similarity.toFixed(3)})`,
    };
  });
  return decideWithReason(
    ctx,
    p,
    decisions.filter((d) => d.imageIds.length > 0),
    'duplicate',
    reviewer,
  );
}

function acceptSuggestions(ctx: ServiceContext, imageIds: number[], reviewer: string | undefined): ReviewEvent[] {
  const p = ctx.current();
  const report = computeLabelIssues(p, { issuesOnly: false });
  const byId = new Map(report.issues.map((i) => [i.imageId, i]));
  const decisions = imageIds.map((id) => {
    const issue = byId.get(id);
    if (!issue || !issue.suggested)
      throw new AppError('not-found', `image ${id} has no label suggestion in the current run`);
    return {
      imageIds: [id],
      action: 'relabel' as const,
      newClass: issue.suggested,
      note: `likely mislabelled: ${issue.label} → ${issue.suggested} (p ${issue.suggestedProb.toFixed(2)})`,
    };
  });
  return decideWithReason(ctx, p, decisions, 'label-issue', reviewer);
}

/** The grid's image sets live on the project's connection (src/db/image-sets.ts): made when a project opens, and
 * the quality flags re-derived from the statistics already stored (no thumbnail is decoded here). */
function prepareImageSets(ctx: ServiceContext): void {
  const p = ctx.project;
  if (!p) return;
  ensureImageSets(p.db);
  refreshQualityFlags(p);
}

export function createCurationService(ctx: ServiceContext): CurationService {
  // "More like this" stays warm between questions, for one project: another project (or none) ends it.
  const warm = new WarmSimilar();
  ctx.bus.on('project.changed', () => {
    void warm.close();
    prepareImageSets(ctx);
  });
  return {
    duplicates: async (options) => computeDuplicates(ctx.current(), options ?? {}),
    resolveDuplicates: (groupIds, reviewer) => resolveDuplicates(ctx, groupIds, reviewer),
    labelIssues: async (options) => computeLabelIssues(ctx.current(), options ?? {}),
    acceptSuggestions: async (imageIds, reviewer) => acceptSuggestions(ctx, imageIds, reviewer),
    map: (options) => computeMap(ctx.current(), options ?? {}),
    similar: (ref, limit) => findSimilar(ctx, warm, ref, limit ?? 20),
    select: async (input) => selectImages(ctx.current(), input),
    quality: (kind, limit) => computeQuality(ctx.current(), kind, limit),
    setQualityThresholds: async (patch) => setQualityThresholds(ctx.current(), patch),
    budget: async (reviews) => computeBudget(ctx.current(), reviews),
    drawAudit: async (reviews, size) => drawAudit(ctx.current(), reviews, size),
  };
}
