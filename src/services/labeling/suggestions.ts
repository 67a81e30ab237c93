// A page of the unlabelled inbox with the run's calibrated suggestions, in the order asked for. `informative`
// follows the run's stored order (images that arrived after it come last, most informative first).
import { join } from 'node:path';
import type { Db } from '../../db/index.js';
import { inboxCandidates, labelOrder, type InboxCandidate } from '../../db/labels-repo.js';
import type { SuggestionPage, SuggestionQuery, SuggestionRow } from '../../shared/labeling-dto.js';
import { temperTop } from '../../shared/labeling-calibration.js';
import { isUnlabelled } from './bulk.js';
import { scoreCandidate, type RunLabeling } from './run-labeling.js';

function toRow(
  c: InboxCandidate,
  labeling: RunLabeling,
  order: Map<number, { rank: number; score: number }>,
): SuggestionRow | null {
  const { run, temperature } = labeling;
  const tempered = temperTop(c.top, temperature, run.classes.length);
  const best = tempered.top[0];
  if (!best) return null;
  const second = Math.max(tempered.top[1]?.prob ?? 0, tempered.tailCount > 0 ? tempered.tailEach : 0);
  const placed = order.get(c.imageId);
  return {
    imageId: c.imageId,
    path: join(c.sourcePath, c.relPath),
    relPath: c.relPath,
    sourceId: c.sourceId,
    suggestion: {
      runId: run.id,
      class: best.class,
      confidence: best.prob,
      rawProb: c.top.find((t) => t.class === best.class)?.prob ?? 0,
      margin: best.prob - second,
    },
    top: tempered.top.slice(0, 5).map((t) => ({ class: t.class, confidence: t.prob })),
    ood: { scorer: run.defaultScorer, score: c.score ?? 0, calibrated: c.calibrated, flagged: c.flagged },
    informativeness: placed?.score ?? scoreCandidate(c, labeling) ?? 0,
    rank: placed?.rank ?? null,
    class: c.labelled,
  };
}

function sortRows(rows: SuggestionRow[], order: SuggestionQuery['order']): void {
  if (order === 'path') return;
  if (order === 'confidence')
    rows.sort((a, b) => b.suggestion.confidence - a.suggestion.confidence || a.imageId - b.imageId);
  else if (order === 'uncertain') {
    rows.sort((a, b) => a.suggestion.confidence - b.suggestion.confidence || a.imageId - b.imageId);
  } else {
    const key = (r: SuggestionRow) => r.rank ?? Number.MAX_SAFE_INTEGER;
    rows.sort((a, b) => key(a) - key(b) || b.informativeness - a.informativeness || a.imageId - b.imageId);
  }
}

export function suggestionPage(db: Db, labeling: RunLabeling, q: SuggestionQuery = {}): SuggestionPage {
  const order = labelOrder(db, labeling.run.id);
  const rows: SuggestionRow[] = [];
  for (const c of inboxCandidates(db, labeling.run.id, labeling.run.defaultScorer)) {
    if (!q.includeLabelled && !isUnlabelled(c)) continue;
    if (!q.includeFlagged && c.flagged === true) continue;
    const row = toRow(c, labeling, order);
    if (!row) continue;
    if (q.class !== undefined && row.suggestion.class !== q.class) continue;
    if (q.minConfidence !== undefined && row.suggestion.confidence < q.minConfidence) continue;
    rows.push(row);
  }
  sortRows(rows, q.order ?? 'informative');
  const offset = q.offset ?? 0;
  return { runId: labeling.run.id, total: rows.length, offset, rows: rows.slice(offset, offset + (q.limit ?? 100)) };
}
