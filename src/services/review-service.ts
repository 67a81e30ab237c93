// `review`: decisions appended to the audit trail (never rewritten), their undo, and the history. The arguments'
// shape (a relabel's class, the name's length) is the schema's (shared/validate.ts); here, the state's rules.
import { appendDecisions, currentRun, history, undoDecisions } from '../db/index.js';
import type { ReviewService } from '../shared/api.js';
import { AppError } from '../shared/errors.js';
import { readAppSettings } from './app-settings.js';
import type { ServiceContext } from './context.js';

/** The name given with the call, or else the one saved in settings: a decision always names its reviewer. */
function reviewerName(ctx: ServiceContext, given: string | undefined): string {
  const name = (given ?? readAppSettings(ctx.dataDir).reviewer ?? '').trim();
  if (!name) {
    throw new AppError('invalid-argument', 'set your reviewer name first (Settings, or --reviewer NAME)');
  }
  return name;
}

export function createReviewService(ctx: ServiceContext): ReviewService {
  return {
    async decide(input) {
      const { db } = ctx.current();
      const events = appendDecisions(db, {
        imageIds: input.imageIds,
        action: input.action,
        newClass: input.action === 'relabel' ? (input.newClass ?? null) : null,
        note: input.note?.trim() || null,
        reviewer: reviewerName(ctx, input.reviewer),
        runId: currentRun(db)?.id ?? null,
      });
      ctx.bus.emit('decision.made', { events, action: input.action });
      return events;
    },

    async undo(imageIds, reviewer) {
      const { db } = ctx.current();
      const events = undoDecisions(db, imageIds, reviewerName(ctx, reviewer), currentRun(db)?.id ?? null);
      ctx.bus.emit('decision.made', { events, action: 'undo' });
      return events;
    },

    async history(imageId, limit) {
      return history(ctx.current().db, { imageId, limit });
    },
  };
}
