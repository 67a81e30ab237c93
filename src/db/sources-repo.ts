// Source folders: where images come from and what they mean (train = labelled by subfolder, inbox = to screen).
import type { Role, SourceInfo } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { nowIso } from './json.js';

interface SourceRow {
  id: number;
  path: string;
  role: Role;
  added_at: string;
  last_scan_at: string | null;
  ok: number | null;
  error: number | null;
  missing: number | null;
}

const SELECT_WITH_COUNTS = `
  SELECT s.id, s.path, s.role, s.added_at, s.last_scan_at,
         c.ok, c.error, c.missing
  FROM sources s
  LEFT JOIN (
    SELECT source_id,
           sum(status = 'ok') AS ok, sum(status = 'error') AS error, sum(status = 'missing') AS missing
    FROM images GROUP BY source_id
  ) c ON c.source_id = s.id`;

function toInfo(r: SourceRow): SourceInfo {
  return {
    id: r.id,
    path: r.path,
    role: r.role,
    addedAt: r.added_at,
    lastScanAt: r.last_scan_at,
    counts: { ok: r.ok ?? 0, error: r.error ?? 0, missing: r.missing ?? 0 },
  };
}

/** Registers a folder (an absolute, already-normalised path). A second add of the same path is refused. */
export function addSource(db: Db, path: string, role: Role, addedAt: string = nowIso()): SourceInfo {
  if (role !== 'train' && role !== 'inbox') throw new AppError('invalid-argument', `role must be train or inbox`);
  const existing = db.prepare('SELECT id FROM sources WHERE path = ?').get(path);
  if (existing) throw new AppError('already-exists', `${path} is already a source of this project`);
  const id = Number(
    db.prepare('INSERT INTO sources (path, role, added_at) VALUES (?, ?, ?)').run(path, role, addedAt).lastInsertRowid,
  );
  return getSource(db, id);
}

export function listSources(db: Db): SourceInfo[] {
  return (db.prepare(`${SELECT_WITH_COUNTS} ORDER BY s.id`).all() as SourceRow[]).map(toInfo);
}

export function getSource(db: Db, id: number): SourceInfo {
  const row = db.prepare(`${SELECT_WITH_COUNTS} WHERE s.id = ?`).get(id) as SourceRow | undefined;
  if (!row) throw new AppError('not-found', `no source with id ${id}`);
  return toInfo(row);
}

export function findSourceByPath(db: Db, path: string): SourceInfo | null {
  const row = db.prepare('SELECT id FROM sources WHERE path = ?').get(path) as { id: number } | undefined;
  return row ? getSource(db, row.id) : null;
}

/**
 * Starts a scan of a source: returns a new scan generation. Pass it to upsertScanned / markSeen for every file
 * the scan sees, then to markMissing at the end. Generations survive a killed scan: the next one just counts on.
 */
export function beginScan(db: Db, sourceId: number): number {
  const row = db.prepare('UPDATE sources SET scan_gen = scan_gen + 1 WHERE id = ? RETURNING scan_gen').get(sourceId) as
    { scan_gen: number } | undefined;
  if (!row) throw new AppError('not-found', `no source with id ${sourceId}`);
  return row.scan_gen;
}

/** Records that a scan of the source completed. */
export function touchScan(db: Db, sourceId: number, at: string = nowIso()): void {
  const info = db.prepare('UPDATE sources SET last_scan_at = ? WHERE id = ?').run(at, sourceId);
  if (info.changes === 0) throw new AppError('not-found', `no source with id ${sourceId}`);
}
