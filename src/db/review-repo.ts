// The audit trail: append-only review events and the standing decision per image derived from them.
import { join } from 'node:path';
import type { Action, EventAction, LabelTrail, ReviewEvent } from '../shared/dto.js';
import { ACTIONS } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { nowIso, parseJson } from './json.js';

export interface DecisionRecord {
  imageIds: readonly number[];
  action: Action;
  newClass?: string | null;
  note?: string | null;
  reviewer: string;
  /** The run whose scores are snapshotted into each event (normally the current run); null: none. */
  runId: number | null;
  at?: string;
}

export interface StandingDecision {
  eventId: number;
  action: Action;
  newClass: string | null;
}

interface EventRow {
  id: number;
  image_id: number;
  action: EventAction;
  new_class: string | null;
  note: string | null;
  reviewer: string;
  at: string;
  run_id: number | null;
  scores: string;
  undoes: number | null;
  source_path?: string | null;
  rel_path?: string | null;
  label_batch?: number | null;
  label_method?: LabelTrail['method'] | null;
  label_suggested?: string | null;
  label_confidence?: number | null;
  label_run?: number | null;
}

function toEvent(r: EventRow): ReviewEvent {
  const event: ReviewEvent = {
    id: r.id,
    imageId: r.image_id,
    action: r.action,
    newClass: r.new_class,
    note: r.note,
    reviewer: r.reviewer,
    at: r.at,
    runId: r.run_id,
    scores: parseJson<Record<string, number>>(r.scores, {}),
    undoes: r.undoes,
  };
  if (r.source_path && r.rel_path !== null && r.rel_path !== undefined) event.path = join(r.source_path, r.rel_path);
  if (r.label_batch !== null && r.label_batch !== undefined) {
    event.label = {
      batchId: r.label_batch,
      method: r.label_method!,
      suggested: r.label_suggested ?? null,
      confidence: r.label_confidence ?? null,
      runId: r.label_run ?? null,
    };
  }
  return event;
}

// A label's event carries its batch and the suggestion it saw (label_events), so the trail says it all.
const EVENT_WITH_PATH = `
  SELECT e.*, s.path AS source_path, i.rel_path, l.batch_id AS label_batch, b.method AS label_method,
    l.suggested AS label_suggested, l.confidence AS label_confidence, l.run_id AS label_run
  FROM review_events e
  JOIN images i ON i.id = e.image_id JOIN sources s ON s.id = i.source_id
  LEFT JOIN label_events l ON l.event_id = e.id LEFT JOIN label_batches b ON b.id = l.batch_id`;

// The latest decision of an image that no undo cancels: what stands after any sequence of decisions and undos.
const LATEST_STANDING = `
  SELECT * FROM review_events e
  WHERE e.image_id = ? AND e.action != 'undo'
    AND NOT EXISTS (SELECT 1 FROM review_events u WHERE u.undoes = e.id)
  ORDER BY e.id DESC LIMIT 1`;

function uniqueIds(ids: readonly number[]): number[] {
  if (ids.length === 0) throw new AppError('invalid-argument', 'no image ids given');
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('invalid-argument', `invalid image id ${String(id)}`);
  }
  return [...new Set(ids)];
}

function checkReviewer(reviewer: string): string {
  const name = reviewer.trim();
  if (name === '') throw new AppError('invalid-argument', 'a decision needs a reviewer name (set it in settings)');
  return name;
}

function prepared(db: Db) {
  return {
    exists: db.prepare('SELECT 1 FROM images WHERE id = ?'),
    scores: db.prepare('SELECT scores FROM run_images WHERE run_id = ? AND image_id = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO review_events (image_id, action, new_class, note, reviewer, at, run_id, scores, undoes)
       VALUES (@imageId, @action, @newClass, @note, @reviewer, @at, @runId, @scores, @undoes) RETURNING *`,
    ),
    setCurrent: db.prepare(
      `INSERT OR REPLACE INTO current_decisions (image_id, event_id, action, new_class, note, reviewer, at)
       VALUES (@image_id, @id, @action, @new_class, @note, @reviewer, @at)`,
    ),
    clearCurrent: db.prepare('DELETE FROM current_decisions WHERE image_id = ?'),
    standing: db.prepare(LATEST_STANDING),
  };
}

/**
 * Records one decision for every image in ONE immediate transaction: all of them or none. Each event keeps the
 * image's scores in `runId` at decision time. Unknown image ids abort the whole batch with not-found.
 */
export function appendDecisions(db: Db, input: DecisionRecord): ReviewEvent[] {
  if (!ACTIONS.includes(input.action)) throw new AppError('invalid-argument', `unknown action ${String(input.action)}`);
  const newClass = input.newClass?.trim() || null;
  if (input.action === 'relabel' && newClass === null) {
    throw new AppError('invalid-argument', 'relabel needs the new class');
  }
  if (input.action !== 'relabel' && newClass !== null) {
    throw new AppError('invalid-argument', `a new class only goes with relabel, not ${input.action}`);
  }
  const ids = uniqueIds(input.imageIds);
  const reviewer = checkReviewer(input.reviewer);
  const at = input.at ?? nowIso();
  const note = input.note?.trim() || null;
  const q = prepared(db);
  return db
    .transaction(() => {
      if (newClass !== null) {
        db.prepare('INSERT INTO classes (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(
          newClass,
          at,
        );
      }
      const events: ReviewEvent[] = [];
      for (const imageId of ids) {
        if (q.exists.get(imageId) === undefined) throw new AppError('not-found', `no image with id ${imageId}`);
        const scores = input.runId === null ? undefined : (q.scores.get(input.runId, imageId) as string | undefined);
        const row = q.insert.get({
          imageId,
          action: input.action,
          newClass,
          note,
          reviewer,
          at,
          runId: input.runId,
          scores: scores ?? '{}',
          undoes: null,
        }) as EventRow;
        q.setCurrent.run(row);
        events.push(toEvent(row));
      }
      return events;
    })
    .immediate();
}

/**
 * Cancels the latest standing decision of each image, in one immediate transaction; the decision before it (if
 * any, and not itself undone) stands again. Images with nothing standing are skipped. Returns the undo events.
 */
export function undoDecisions(
  db: Db,
  imageIds: readonly number[],
  reviewer: string,
  runId: number | null = null,
  at: string = nowIso(),
): ReviewEvent[] {
  const ids = uniqueIds(imageIds);
  const name = checkReviewer(reviewer);
  const q = prepared(db);
  return db
    .transaction(() => {
      const events: ReviewEvent[] = [];
      for (const imageId of ids) {
        const standing = q.standing.get(imageId) as EventRow | undefined;
        if (!standing) continue;
        const scores = runId === null ? undefined : (q.scores.get(runId, imageId) as string | undefined);
        const row = q.insert.get({
          imageId,
          action: 'undo',
          newClass: null,
          note: null,
          reviewer: name,
          at,
          runId,
          scores: scores ?? '{}',
          undoes: standing.id,
        }) as EventRow;
        const previous = q.standing.get(imageId) as EventRow | undefined;
        if (previous) q.setCurrent.run(previous);
        else q.clearCurrent.run(imageId);
        events.push(toEvent(row));
      }
      return events;
    })
    .immediate();
}

/** Events newest first: of one image, or of the whole project. `beforeId` pages backwards. */
export function history(db: Db, options: { imageId?: number; limit?: number; beforeId?: number } = {}): ReviewEvent[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.imageId !== undefined) {
    where.push('e.image_id = ?');
    params.push(options.imageId);
  }
  if (options.beforeId !== undefined) {
    where.push('e.id < ?');
    params.push(options.beforeId);
  }
  const sql = `${EVENT_WITH_PATH} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`;
  return (db.prepare(sql).all(...params, options.limit ?? -1) as EventRow[]).map(toEvent);
}

/** Every event in the order it happened (export's decisions.jsonl), streamed. */
export function* allEvents(db: Db): Generator<ReviewEvent> {
  for (const r of db.prepare(`${EVENT_WITH_PATH} ORDER BY e.id`).iterate() as IterableIterator<EventRow>) {
    yield toEvent(r);
  }
}

/** imageId → standing decision, for training snapshots and exports. */
export function currentDecisions(db: Db): Map<number, StandingDecision> {
  const map = new Map<number, StandingDecision>();
  const stmt = db.prepare('SELECT image_id, event_id, action, new_class FROM current_decisions').raw();
  for (const [imageId, eventId, action, newClass] of stmt.iterate() as IterableIterator<
    [number, number, Action, string | null]
  >) {
    map.set(imageId, { eventId, action, newClass });
  }
  return map;
}

export function decisionCounts(db: Db): Partial<Record<Action, number>> {
  const rows = db.prepare('SELECT action, count(*) AS n FROM current_decisions GROUP BY action').all() as {
    action: Action;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.action, r.n]));
}

/** The newest event id (0 when none): a run's snapshot records it so "decisions used" is reproducible. */
export function lastEventId(db: Db): number {
  return (db.prepare('SELECT coalesce(max(id), 0) FROM review_events').pluck().get() as number) ?? 0;
}

/**
 * Recomputes current_decisions from the events alone and reports images where the table disagreed. The
 * repair path after damage, and the oracle the reliability tests compare against.
 */
export function rebuildCurrentDecisions(db: Db, options: { fix?: boolean } = {}): number[] {
  const derived = new Map<number, EventRow>();
  const stacks = new Map<number, EventRow[]>();
  for (const e of db.prepare('SELECT * FROM review_events ORDER BY id').iterate() as IterableIterator<EventRow>) {
    const stack = stacks.get(e.image_id) ?? [];
    if (e.action === 'undo') {
      const i = stack.findIndex((s) => s.id === e.undoes);
      if (i >= 0) stack.splice(i, 1);
    } else stack.push(e);
    stacks.set(e.image_id, stack);
  }
  for (const [imageId, stack] of stacks) {
    const top = stack[stack.length - 1];
    if (top) derived.set(imageId, top);
  }
  const stored = new Map<number, number>();
  for (const [imageId, eventId] of db
    .prepare('SELECT image_id, event_id FROM current_decisions')
    .raw()
    .iterate() as IterableIterator<[number, number]>) {
    stored.set(imageId, eventId);
  }
  const wrong = new Set<number>();
  for (const [imageId, e] of derived) if (stored.get(imageId) !== e.id) wrong.add(imageId);
  for (const imageId of stored.keys()) if (!derived.has(imageId)) wrong.add(imageId);
  if (options.fix && wrong.size > 0) {
    const q = prepared(db);
    db.transaction(() => {
      for (const imageId of wrong) {
        const e = derived.get(imageId);
        if (e) q.setCurrent.run(e);
        else q.clearCurrent.run(imageId);
      }
    }).immediate();
  }
  return [...wrong].sort((a, b) => a - b);
}
