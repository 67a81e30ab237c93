// Turning image ids into ImageRow DTOs: one joined lookup per page, shared by listing, detail and export.
import { join } from 'node:path';
import type {
  Action,
  ClassSource,
  Decision,
  ErrorCode,
  ImageRow,
  ImageStatus,
  Role,
  Suggestion,
} from '../shared/dto.js';
import { calibratedChoice, type StoredTop } from '../shared/labeling-calibration.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './connection.js';
import { parseJson } from './json.js';

/** One image joined with its source, its run result and its standing decision, as SQLite returns it. */
export interface JoinedRow {
  id: number;
  source_id: number;
  role: Role;
  rel_path: string;
  source_path: string;
  class: string | null;
  status: ImageStatus;
  error_code: ErrorCode | null;
  error_message: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  sha256: string | null;
  predicted: string | null;
  top_json: string | null;
  /** The run's fitted temperature (null: not fitted yet) and how many classes it knows. */
  temperature: number | null;
  class_count: number | null;
  scores_json: string | null;
  calibrated_json: string | null;
  flagged: number | null;
  d_event_id: number | null;
  d_action: Action | null;
  d_new_class: string | null;
  d_note: string | null;
  d_reviewer: string | null;
  d_at: string | null;
}

// run_id = NULL never matches, so a null run yields rows without predictions.
const JOINED = `
  SELECT i.id, i.source_id, src.role, i.rel_path, src.path AS source_path, i.class, i.status, i.error_code,
         i.error_message, i.width, i.height, i.format, i.sha256,
         r.predicted, r.top AS top_json, rc.temperature, json_array_length(ru.classes) AS class_count,
         r.scores AS scores_json, r.calibrated AS calibrated_json, r.flagged,
         d.event_id AS d_event_id, d.action AS d_action, d.new_class AS d_new_class, d.note AS d_note,
         d.reviewer AS d_reviewer, d.at AS d_at
  FROM images i
  JOIN sources src ON src.id = i.source_id
  LEFT JOIN run_images r ON r.run_id = @runId AND r.image_id = i.id
  LEFT JOIN runs ru ON ru.id = @runId
  LEFT JOIN run_calibration rc ON rc.run_id = @runId
  LEFT JOIN current_decisions d ON d.image_id = i.id`;

/** The class training and export use, where it came from, and the folder's own class (train images only). */
function classOf(r: JoinedRow): Pick<ImageRow, 'class' | 'classSource' | 'folderClass'> {
  const folderClass = r.role === 'train' ? r.class : null;
  if (r.d_action === 'relabel' && r.d_new_class !== null) {
    const classSource: ClassSource = r.role === 'inbox' ? 'label' : 'relabel';
    return { class: r.d_new_class, classSource, folderClass };
  }
  return { class: folderClass, classSource: folderClass === null ? null : 'folder', folderClass };
}

/** The run's calibrated suggestion (the stored probabilities at the run's temperature; 1 until it is fitted). */
function suggestionOf(r: JoinedRow, runId: number | null): Suggestion | null {
  if (runId === null || r.top_json === null) return null;
  const top = parseJson<StoredTop[]>(r.top_json, []);
  const choice = calibratedChoice(top, r.temperature ?? 1, Math.max(r.class_count ?? 0, top.length));
  return choice ? { runId, ...choice } : null;
}

function toRow(r: JoinedRow, runId: number | null): ImageRow {
  const decision: Decision | null =
    r.d_event_id === null || r.d_action === null
      ? null
      : {
          eventId: r.d_event_id,
          action: r.d_action,
          newClass: r.d_new_class,
          note: r.d_note,
          reviewer: r.d_reviewer ?? '',
          at: r.d_at ?? '',
        };
  return {
    ...imageIdentity(r),
    ...classOf(r),
    suggestion: suggestionOf(r, runId),
    status: r.status,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    width: r.width,
    height: r.height,
    format: r.format,
    sha256: r.sha256,
    predicted: r.predicted,
    scores: parseJson<Record<string, number>>(r.scores_json, {}),
    calibrated: parseJson<Record<string, number>>(r.calibrated_json, {}),
    flagged: r.flagged === null ? null : r.flagged === 1,
    decision,
  };
}

type IdentityColumns = Pick<JoinedRow, 'id' | 'source_id' | 'role' | 'rel_path' | 'source_path' | 'class'>;

/** Which image a row is and where it lives: the fields every image DTO starts with. */
export function imageIdentity(
  r: IdentityColumns,
): Pick<ImageRow, 'id' | 'sourceId' | 'role' | 'relPath' | 'path' | 'class'> {
  return {
    id: r.id,
    sourceId: r.source_id,
    role: r.role,
    relPath: r.rel_path,
    path: join(r.source_path, r.rel_path),
    class: r.class,
  };
}

// Prepared statements per connection and IN-list size: a grid asks for the same page size over and over.
const statements = new WeakMap<Db, Map<number, Statement>>();

function byIdsStatement(db: Db, n: number): Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let stmt = cache.get(n);
  if (!stmt) {
    stmt = db.prepare(`${JOINED} WHERE i.id IN (${Array.from({ length: n }, () => '?').join(',')})`);
    if (cache.size > 32) cache.clear();
    cache.set(n, stmt);
  }
  return stmt;
}

/** Rows for the given ids, in the order given (unknown ids are skipped). */
export function imageRowsByIds(db: Db, ids: readonly number[], runId: number | null): ImageRow[] {
  if (ids.length === 0) return [];
  const byId = new Map<number, ImageRow>();
  // Chunked to stay well under SQLite's host-parameter limit.
  for (let start = 0; start < ids.length; start += 500) {
    const part = ids.slice(start, start + 500);
    for (const r of byIdsStatement(db, part.length).all({ runId }, ...part) as JoinedRow[])
      byId.set(r.id, toRow(r, runId));
  }
  const rows: ImageRow[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (row) rows.push(row);
  }
  return rows;
}

export function imageRowById(db: Db, id: number, runId: number | null): ImageRow | null {
  return imageRowsByIds(db, [id], runId)[0] ?? null;
}
