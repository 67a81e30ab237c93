// How the suggestions' accuracy moved as labels accumulated: each run's suggestions checked against the labels
// people gave by hand while it was the current run (accepted suggestions agree by construction: not counted).
import { listRuns, type Db } from '../../db/index.js';
import { standingLabels, trainedInboxLabels } from '../../db/labels-repo.js';
import type { AccuracyPoint, AccuracyTrend } from '../../shared/labeling-dto.js';

const BY_HAND = new Set(['manual', 'cluster']);

export function accuracyTrend(db: Db): AccuracyTrend {
  const labels = standingLabels(db).filter((l) => BY_HAND.has(l.method) && l.suggested !== null && l.runId !== null);
  const points: AccuracyPoint[] = [];
  for (const run of [...listRuns(db)].reverse()) {
    if (run.status !== 'done') continue;
    const mine = labels.filter((l) => l.runId === run.id);
    const correct = mine.filter((l) => l.suggested === l.class).length;
    points.push({
      runId: run.id,
      startedAt: run.startedAt,
      labelsTrained: trainedInboxLabels(db, run.id),
      checked: mine.length,
      correct,
      accuracy: mine.length ? correct / mine.length : null,
      meanConfidence: mine.length ? mine.reduce((s, l) => s + (l.confidence ?? 0), 0) / mine.length : null,
    });
  }
  return { points };
}
