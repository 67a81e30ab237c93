// Labels: a label is a `relabel` review event (so it joins the audit trail, its undo and current_decisions), with
// a label_events row beside it saying which batch gave it and what the run suggested then. A batch (a key press on
// a selection, a bulk accept, a cluster) undoes as one. Also the class legend's counts, each run's fitted
// calibration and its informative order of the inbox.
import type { ReviewEvent } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { ClassSource, LabelBatch, LabelMethod, LabelRecord } from '../shared/labeling-dto.js';
import type { Db } from './connection.js';
import { cachedByVersion } from './data-version.js';
import { nowIso, parseJson, toJson } from './json.js';
import { appendDecisions, undoDecisions } from './review-repo.js';

/** One image's label in a batch: its class and what the run suggested when it was given. */
export interface LabelWrite {
  imageId: number;
  class: string;
  suggested: string | null;
  confidence: number | null;
}

export interface BatchWrite {
  labels: readonly LabelWrite[];
  method: LabelMethod;
  reviewer: string;
  runId: number | null;
  /** The cut of a bulk accept. */
  minConfidence?: number | null;
  note?: string | null;
  at?: string;
}

export interface BatchWritten {
  batchId: number;
  events: ReviewEvent[];
  labels: LabelRecord[];
}

/** Writes every label of a batch in ONE immediate transaction: all of them or none. */
export function writeLabelBatch(db: Db, input: BatchWrite): BatchWritten {
  if (input.labels.length === 0) throw new AppError('invalid-argument', 'no images to label');
  const at = input.at ?? nowIso();
  const byClass = new Map<string, LabelWrite[]>();
  for (const l of input.labels) byClass.set(l.class, [...(byClass.get(l.class) ?? []), l]);
  const insertBatch = db.prepare(
    `INSERT INTO label_batches (method, reviewer, created_at, run_id, min_confidence) VALUES (?, ?, ?, ?, ?)`,
  );
  const insertLabel = db.prepare(
    'INSERT INTO label_events (event_id, batch_id, suggested, confidence, run_id) VALUES (?, ?, ?, ?, ?)',
  );
  return db
    .transaction((): BatchWritten => {
      const batchId = Number(
        insertBatch.run(input.method, input.reviewer, at, input.runId, input.minConfidence ?? null).lastInsertRowid,
      );
      const events: ReviewEvent[] = [];
      const labels: LabelRecord[] = [];
      for (const [cls, group] of byClass) {
        const written = appendDecisions(db, {
          imageIds: group.map((l) => l.imageId),
          action: 'relabel',
          newClass: cls,
          note: input.note ?? null,
          reviewer: input.reviewer,
          runId: input.runId,
          at,
        });
        written.forEach((e, i) => {
          const l = group[i]!;
          insertLabel.run(e.id, batchId, l.suggested, l.confidence, input.runId);
          events.push(e);
          labels.push({ ...recordOf(e, l, input.method, batchId), runId: input.runId });
        });
      }
      return { batchId, events, labels };
    })
    .immediate();
}

function recordOf(e: ReviewEvent, l: LabelWrite, method: LabelMethod, batchId: number): LabelRecord {
  return {
    eventId: e.id,
    imageId: e.imageId,
    class: l.class,
    method,
    batchId,
    suggested: l.suggested,
    confidence: l.confidence,
    runId: e.runId,
    reviewer: e.reviewer,
    at: e.at,
  };
}

interface BatchRow {
  id: number;
  method: LabelMethod;
  reviewer: string;
  created_at: string;
  run_id: number | null;
  min_confidence: number | null;
  undone_at: string | null;
  count: number;
  standing: number;
}

const BATCH_SELECT = `
  SELECT b.*, (SELECT count(*) FROM label_events l WHERE l.batch_id = b.id) AS count,
    (SELECT count(*) FROM label_events l JOIN current_decisions d ON d.event_id = l.event_id
     WHERE l.batch_id = b.id) AS standing
  FROM label_batches b`;

function toBatch(r: BatchRow): LabelBatch {
  return {
    id: r.id,
    method: r.method,
    reviewer: r.reviewer,
    at: r.created_at,
    runId: r.run_id,
    count: r.count,
    minConfidence: r.min_confidence,
    standing: r.standing,
  };
}

/** Batches newest first. */
export function listBatches(db: Db, limit = 50): LabelBatch[] {
  return (db.prepare(`${BATCH_SELECT} ORDER BY b.id DESC LIMIT ?`).all(limit) as BatchRow[]).map(toBatch);
}

export function getBatch(db: Db, batchId: number): LabelBatch | null {
  const row = db.prepare(`${BATCH_SELECT} WHERE b.id = ?`).get(batchId) as BatchRow | undefined;
  return row ? toBatch(row) : null;
}

/**
 * Undoes every label of the batch that still stands (is its image's current decision), in one immediate
 * transaction. A label decided over since is left as it is and counted as skipped.
 */
export function undoLabelBatch(
  db: Db,
  batchId: number,
  reviewer: string,
  runId: number | null,
): { events: ReviewEvent[]; skipped: number } {
  if (!getBatch(db, batchId)) throw new AppError('not-found', `no label batch ${batchId}`);
  const rows = db
    .prepare(
      `SELECT e.image_id AS imageId, (d.event_id IS NOT NULL) AS standing FROM label_events l
       JOIN review_events e ON e.id = l.event_id
       LEFT JOIN current_decisions d ON d.event_id = l.event_id WHERE l.batch_id = ?`,
    )
    .all(batchId) as { imageId: number; standing: number }[];
  const standing = rows.filter((r) => r.standing === 1).map((r) => r.imageId);
  return db
    .transaction(() => {
      const events = standing.length ? undoDecisions(db, standing, reviewer, runId) : [];
      db.prepare('UPDATE label_batches SET undone_at = ? WHERE id = ?').run(nowIso(), batchId);
      return { events, skipped: rows.length - standing.length };
    })
    .immediate();
}

/** Labels of the project with the batch method, for the accuracy trend. Standing ones only. */
export function standingLabels(db: Db): LabelRecord[] {
  const rows = db
    .prepare(
      `SELECT e.id AS eventId, e.image_id AS imageId, e.new_class AS class, b.method, l.batch_id AS batchId,
              l.suggested, l.confidence, l.run_id AS runId, e.reviewer, e.at
       FROM label_events l JOIN label_batches b ON b.id = l.batch_id
       JOIN review_events e ON e.id = l.event_id JOIN current_decisions d ON d.event_id = l.event_id
       ORDER BY e.id`,
    )
    .all() as LabelRecord[];
  return rows;
}

// --- classes -----------------------------------------------------------------------------------------------

export interface ClassCountsBySource {
  name: string;
  bySource: Record<ClassSource, number>;
  /** Whether any train folder holds it (folder classes come first in the legend). */
  folder: boolean;
}

/**
 * Every class in legend order (classes of train folders by name, then the others in the order they were added)
 * with its usable images by where their class came from. Rejected images count for no class.
 */
export function classLegendCounts(db: Db): ClassCountsBySource[] {
  // Cached until the data changes; each part counts from an index (a join of every image per class took seconds
  // at 1,000,000 images), and only the few decided images are joined.
  return cachedByVersion(db, 'classLegendCounts', () => countLegend(db)).map((c) => ({
    ...c,
    bySource: { ...c.bySource },
  }));
}

function countLegend(db: Db): ClassCountsBySource[] {
  const train = "i.source_id IN (SELECT id FROM sources WHERE role = 'train')";
  const byClass = (sql: string) =>
    new Map((db.prepare(sql).raw().all() as [string, number][]).map(([name, n]) => [name, n]));
  // A train folder's usable images, less those whose standing decision moves them to another class or to none.
  const folder = byClass(
    // The covering index by class; without fresh statistics the planner measured 4× slower ones.
    `SELECT i.class, count(*) FROM images i INDEXED BY images_class_source
     WHERE i.class IS NOT NULL AND i.status = 'ok' AND ${train} GROUP BY i.class`,
  );
  const movedAway = byClass(
    `SELECT i.class, count(*) FROM current_decisions d JOIN images i ON i.id = d.image_id
     WHERE d.action IN ('relabel', 'reject') AND i.class IS NOT NULL AND i.status = 'ok' AND ${train} GROUP BY i.class`,
  );
  const labelled = (role: 'inbox' | 'train') =>
    byClass(
      `SELECT d.new_class, count(*) FROM current_decisions d JOIN images i ON i.id = d.image_id
       WHERE d.action = 'relabel' AND i.status = 'ok'
         AND i.source_id IN (SELECT id FROM sources WHERE role = '${role}') GROUP BY d.new_class`,
    );
  const label = labelled('inbox');
  const relabel = labelled('train');
  const rows = db
    .prepare(
      `SELECT c.name, EXISTS (SELECT 1 FROM images i WHERE i.class = c.name AND ${train}) AS folder
       FROM classes c ORDER BY folder DESC, CASE WHEN folder THEN c.name END, c.added_at, c.name`,
    )
    .all() as { name: string; folder: number }[];
  return rows.map((r) => ({
    name: r.name,
    folder: r.folder === 1,
    bySource: {
      folder: (folder.get(r.name) ?? 0) - (movedAway.get(r.name) ?? 0),
      label: label.get(r.name) ?? 0,
      relabel: relabel.get(r.name) ?? 0,
    },
  }));
}

/** Adds a class with no images yet; an existing name is refused. */
export function insertClass(db: Db, name: string, at: string = nowIso()): void {
  const done = db
    .prepare('INSERT INTO classes (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
    .run(name, at);
  if (done.changes === 0) throw new AppError('already-exists', `the class '${name}' exists already`);
}

// --- calibration and order per run -------------------------------------------------------------------------

export interface StoredCalibration {
  method: string;
  temperature: number;
  report: Record<string, unknown>;
  fittedAt: string;
}

export function saveCalibration(db: Db, runId: number, c: Omit<StoredCalibration, 'fittedAt'>): void {
  db.prepare(
    `INSERT OR REPLACE INTO run_calibration (run_id, method, temperature, report, fitted_at) VALUES (?, ?, ?, ?, ?)`,
  ).run(runId, c.method, c.temperature, toJson(c.report), nowIso());
}

export function loadCalibration(db: Db, runId: number): StoredCalibration | null {
  const r = db.prepare('SELECT * FROM run_calibration WHERE run_id = ?').get(runId) as
    { method: string; temperature: number; report: string; fitted_at: string } | undefined;
  if (!r) return null;
  return { method: r.method, temperature: r.temperature, report: parseJson(r.report, {}), fittedAt: r.fitted_at };
}

/** Replaces a run's informative order in one transaction (ids in order, with their informativeness). */
export function replaceLabelOrder(db: Db, runId: number, order: readonly { id: number; score: number }[]): void {
  const insert = db.prepare('INSERT INTO label_order (run_id, image_id, rank, informativeness) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    db.prepare('DELETE FROM label_order WHERE run_id = ?').run(runId);
    order.forEach((o, rank) => insert.run(runId, o.id, rank, o.score));
  }).immediate();
}

export function hasLabelOrder(db: Db, runId: number): boolean {
  return db.prepare('SELECT 1 FROM label_order WHERE run_id = ? LIMIT 1').get(runId) !== undefined;
}

/** imageId → rank and informativeness in the run's order. */
export function labelOrder(db: Db, runId: number): Map<number, { rank: number; score: number }> {
  const out = new Map<number, { rank: number; score: number }>();
  const stmt = db.prepare('SELECT image_id, rank, informativeness FROM label_order WHERE run_id = ?').raw();
  for (const [id, rank, score] of stmt.iterate(runId) as IterableIterator<[number, number, number]>) {
    out.set(id, { rank, score });
  }
  return out;
}

// --- what calibration and suggestions read ------------------------------------------------------------------

export interface StoredTopRow {
  class: string;
  prob: number;
}

/**
 * The run's held-out labelled images: every image it trained as a class (its snapshot's labels) with the top
 * probabilities it stored for it, which for a training image are out of fold.
 */
export function heldOutRows(
  db: Db,
  runId: number,
): { rows: { top: StoredTopRow[]; truth: string }[]; classes: string[] } {
  const run = db.prepare('SELECT snapshot, classes FROM runs WHERE id = ?').get(runId) as
    { snapshot: string; classes: string } | undefined;
  if (!run) throw new AppError('not-found', `no run ${runId}`);
  const classes = parseJson<string[]>(run.classes, []);
  const labels = parseJson<{ labels?: Record<string, number> }>(run.snapshot, {}).labels ?? {};
  const rows: { top: StoredTopRow[]; truth: string }[] = [];
  const stmt = db.prepare('SELECT image_id, top FROM run_images WHERE run_id = ?').raw();
  for (const [imageId, top] of stmt.iterate(runId) as IterableIterator<[number, string]>) {
    const label = labels[String(imageId)];
    if (label === undefined || label < 0 || classes[label] === undefined) continue;
    const parsed = parseJson<StoredTopRow[]>(top, []);
    if (parsed.length) rows.push({ top: parsed, truth: classes[label] });
  }
  return { rows, classes };
}

/** An inbox image as suggestions need it. */
export interface InboxCandidate {
  imageId: number;
  sourceId: number;
  sourcePath: string;
  relPath: string;
  top: StoredTopRow[];
  /** The run's default score, raw and calibrated (null: not scored). */
  score: number | null;
  calibrated: number | null;
  flagged: boolean | null;
  /** The class a label gave it, or null. */
  labelled: string | null;
  /** Its standing decision's action, or null. */
  action: string | null;
}

/** Every usable inbox image with the run's result for it (images the run did not score have an empty top). */
export function* inboxCandidates(db: Db, runId: number, scorer: string): Generator<InboxCandidate> {
  const stmt = db.prepare(`
    SELECT i.id, i.source_id, s.path, i.rel_path, r.top, r.calibrated, r.flagged, sc.value, d.action, d.new_class
    FROM images i JOIN sources s ON s.id = i.source_id AND s.role = 'inbox'
    LEFT JOIN run_images r ON r.run_id = @runId AND r.image_id = i.id
    LEFT JOIN scores sc ON sc.run_id = @runId AND sc.scorer = @scorer AND sc.image_id = i.id
    LEFT JOIN current_decisions d ON d.image_id = i.id
    WHERE i.status = 'ok' ORDER BY i.source_id, i.rel_path`);
  type Row = [number, number, string, string, string | null, string | null, number | null, number | null];
  for (const r of stmt.raw().iterate({ runId, scorer }) as IterableIterator<[...Row, string | null, string | null]>) {
    const [imageId, sourceId, sourcePath, relPath, top, calibrated, flagged, value, action, newClass] = r;
    const cal = parseJson<Record<string, number>>(calibrated, {})[scorer];
    yield {
      imageId,
      sourceId,
      sourcePath,
      relPath,
      top: parseJson<StoredTopRow[]>(top, []),
      score: value,
      calibrated: cal ?? null,
      flagged: flagged === null ? null : flagged === 1,
      labelled: action === 'relabel' ? newClass : null,
      action,
    };
  }
}

/** The run's embedding map (the first method stored), imageId → position; empty when none was computed. */
export function mapPositions(db: Db, runId: number): Map<number, { x: number; y: number }> {
  const method = db.prepare('SELECT method FROM map_points WHERE run_id = ? LIMIT 1').pluck().get(runId) as
    string | undefined;
  const out = new Map<number, { x: number; y: number }>();
  if (method === undefined) return out;
  const stmt = db.prepare('SELECT image_id, x, y FROM map_points WHERE run_id = ? AND method = ?').raw();
  for (const [id, x, y] of stmt.iterate(runId, method) as IterableIterator<[number, number, number]>) {
    out.set(id, { x, y });
  }
  return out;
}

/** How many inbox images the run trained as a class (its snapshot records who trained as what). */
export function trainedInboxLabels(db: Db, runId: number): number {
  const snapshot = db.prepare('SELECT snapshot FROM runs WHERE id = ?').pluck().get(runId) as string | undefined;
  const labels = parseJson<{ labels?: Record<string, number> }>(snapshot, {}).labels ?? {};
  const inbox = new Set(
    db
      .prepare(`SELECT i.id FROM images i JOIN sources s ON s.id = i.source_id WHERE s.role = 'inbox'`)
      .pluck()
      .all() as number[],
  );
  let n = 0;
  for (const [id, label] of Object.entries(labels)) if (label >= 0 && inbox.has(Number(id))) n++;
  return n;
}
