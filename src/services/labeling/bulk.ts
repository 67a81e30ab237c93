// Bulk accept: every unlabelled inbox suggestion at or above the cut that the run does not flag as OOD. The
// preview counts what the accept would label per class and how many of those labels the calibration expects to
// be wrong (Σ 1 − confidence), and what it leaves out (flagged, below the cut).
import type { Db } from '../../db/index.js';
import { inboxCandidates, type InboxCandidate } from '../../db/labels-repo.js';
import type { BulkAcceptOptions, BulkPreview } from '../../shared/labeling-dto.js';
import { calibratedChoice } from '../../shared/labeling-calibration.js';
import type { RunLabeling } from './run-labeling.js';

export interface BulkPlan {
  preview: BulkPreview;
  /** imageId → the class to give. */
  chosen: Map<number, string>;
}

/** Inbox images without a class that nobody rejected. */
export function isUnlabelled(c: InboxCandidate): boolean {
  return c.labelled === null && c.action !== 'reject';
}

export function planBulk(db: Db, labeling: RunLabeling, o: BulkAcceptOptions): BulkPlan {
  const { run, temperature } = labeling;
  const scope = o.imageIds ? new Set(o.imageIds) : null;
  const classes = o.classes ? new Set(o.classes) : null;
  const perClass = new Map<string, { class: string; count: number; expectedWrong: number }>();
  const chosen = new Map<number, string>();
  let [skippedFlagged, belowCut, expectedWrong] = [0, 0, 0];
  for (const c of inboxCandidates(db, run.id, run.defaultScorer)) {
    if (!isUnlabelled(c) || (scope && !scope.has(c.imageId))) continue;
    const choice = calibratedChoice(c.top, temperature, run.classes.length);
    if (!choice || (classes && !classes.has(choice.class))) continue;
    if (c.flagged === true) skippedFlagged++;
    else if (choice.confidence < o.minConfidence) belowCut++;
    else {
      const entry = perClass.get(choice.class) ?? { class: choice.class, count: 0, expectedWrong: 0 };
      entry.count += 1;
      entry.expectedWrong += 1 - choice.confidence;
      perClass.set(choice.class, entry);
      expectedWrong += 1 - choice.confidence;
      chosen.set(c.imageId, choice.class);
    }
  }
  const preview: BulkPreview = {
    runId: run.id,
    minConfidence: o.minConfidence,
    count: chosen.size,
    perClass: [...perClass.values()].sort((a, b) => b.count - a.count || a.class.localeCompare(b.class)),
    expectedWrong,
    skippedFlagged,
    belowCut,
  };
  return { preview, chosen };
}
