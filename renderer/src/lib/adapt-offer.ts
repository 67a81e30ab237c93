// What the Train view says about adapt mode (the backbone's top trained with SSOD's loss) and when it offers to
// re-adapt: a retrain reuses the adapted top and only retrains the heads (seconds); re-adapting is an explicit,
// longer step, worth it once enough review decisions have come since the top was trained.
import type { RunDetail } from '../../../src/shared/dto.js';

/** Standing decisions since the adapted top was trained before the app recommends re-adapting. */
export const READAPT_AFTER_DECISIONS = 20;

export interface AdaptOffer {
  mode: 'adapt' | 'heads';
  /** One line on what the current run's features are. */
  summary: string;
  /** Why the run chose its mode, as the run recorded it. */
  reason: string | null;
  /** Standing decisions since the adapted top was trained (null when not adapted or not recorded). */
  decisionsSince: number | null;
  recommended: boolean;
  /** Seconds the top took to train when it was trained (null when not adapted). */
  adaptSeconds: number | null;
}

interface AdaptMetrics {
  mode?: string;
  step?: string;
  reason?: string;
  record?: { trainedInRun?: number; seconds?: number; decisionsAtTraining?: number };
}

function adaptMetrics(run: RunDetail): AdaptMetrics {
  const a = (run.metrics as { adapt?: unknown }).adapt;
  return a && typeof a === 'object' ? a : {};
}

/** `decisions`: the project's standing decisions now (summed over actions). */
export function adaptOffer(run: RunDetail | null, decisions: number): AdaptOffer | null {
  if (!run) return null;
  const a = adaptMetrics(run);
  const reason = typeof a.reason === 'string' ? a.reason : null;
  if (a.mode !== 'adapt' || !a.record) {
    return {
      mode: 'heads',
      summary: 'heads on the pretrained backbone (its features are not trained with SSOD’s loss)',
      reason,
      decisionsSince: null,
      recommended: false,
      adaptSeconds: null,
    };
  }
  const at = a.record.decisionsAtTraining;
  const since = typeof at === 'number' ? Math.max(0, decisions - at) : null;
  const where = a.record.trainedInRun === run.id ? 'in this run' : `in run #${a.record.trainedInRun ?? '?'}`;
  return {
    mode: 'adapt',
    summary: `the backbone’s top was trained with SSOD’s loss ${where}; retrains reuse it and retrain only the heads`,
    reason,
    decisionsSince: since,
    recommended: since !== null && since >= READAPT_AFTER_DECISIONS,
    adaptSeconds: typeof a.record.seconds === 'number' ? a.record.seconds : null,
  };
}
