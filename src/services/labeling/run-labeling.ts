// What labeling keeps per run: the temperature fitted on the run's out-of-fold probabilities (listings apply it
// to every stored probability) and the run's informative order of the inbox. Both are computed once per run,
// when it finishes or the first time a labeling call needs them, and stored in the project.
import type { Db, RunRecord } from '../../db/index.js';
import {
  hasLabelOrder,
  heldOutRows,
  inboxCandidates,
  loadCalibration,
  mapPositions,
  replaceLabelOrder,
  saveCalibration,
  type InboxCandidate,
} from '../../db/labels-repo.js';
import { fitCalibration, type CalibrationFit } from '../../engine/labeling/calibration.js';
import { diverseOrder, informativeness, mapCells, oodUncertainty } from '../../engine/labeling/informative-order.js';
import { calibratedChoice } from '../../shared/labeling-calibration.js';

/** Map cells per side when the run has an embedding map: 8 × 8 = 64 clusters for the round robin. */
const MAP_CELLS = 8;

export interface RunLabeling {
  run: RunRecord;
  temperature: number;
  fit: CalibrationFit;
}

/** The run's calibration, fitted and stored the first time it is asked for. */
export function runCalibration(db: Db, run: RunRecord): RunLabeling {
  const stored = loadCalibration(db, run.id);
  if (stored && isFit(stored.report)) return { run, temperature: stored.temperature, fit: stored.report };
  const held = heldOutRows(db, run.id);
  const fit = fitCalibration(held.rows, Math.max(held.classes.length, 1));
  saveCalibration(db, run.id, { method: fit.method, temperature: fit.temperature, report: { ...fit } });
  return { run, temperature: fit.temperature, fit };
}

function isFit(report: Record<string, unknown>): report is Record<string, unknown> & CalibrationFit {
  return typeof report.method === 'string' && typeof report.temperature === 'number' && Array.isArray(report.bins);
}

/** Calibration and informative order of the run, both computed if missing. */
export function prepareRun(db: Db, run: RunRecord): RunLabeling {
  const labeling = runCalibration(db, run);
  if (!hasLabelOrder(db, run.id)) computeOrder(db, labeling);
  return labeling;
}

/** What a label of this image would tell the model, from the run's calibrated result. */
export function scoreCandidate(c: InboxCandidate, labeling: RunLabeling): number | null {
  const { run, temperature } = labeling;
  const choice = calibratedChoice(c.top, temperature, run.classes.length);
  if (!choice) return null;
  const threshold = run.calibratedThresholds?.[run.defaultScorer] ?? null;
  return informativeness(choice.margin, oodUncertainty(c.calibrated, threshold));
}

/** The images a run's clusters hold: embedding-map cells when the run has a map, else its pair of confused classes. */
function clusterOf(c: InboxCandidate, cells: Map<number, string>): string {
  const cell = cells.get(c.imageId);
  if (cell !== undefined) return cell;
  return [c.top[0]?.class ?? '', c.top[1]?.class ?? ''].sort().join(' | ');
}

/** Ranks every scored inbox image of the run and stores the order. */
export function computeOrder(db: Db, labeling: RunLabeling): void {
  const { run } = labeling;
  const cells = mapCells(mapPositions(db, run.id), MAP_CELLS);
  const items: { id: number; score: number; cluster: string }[] = [];
  for (const c of inboxCandidates(db, run.id, run.defaultScorer)) {
    const score = scoreCandidate(c, labeling);
    if (score !== null) items.push({ id: c.imageId, score, cluster: clusterOf(c, cells) });
  }
  const score = new Map(items.map((i) => [i.id, i.score]));
  replaceLabelOrder(
    db,
    run.id,
    diverseOrder(items).map((id) => ({ id, score: score.get(id)! })),
  );
}
