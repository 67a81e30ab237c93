// Scanned files: incremental upserts, move/rename identity by sha256, missing marks, counts.
import type { ClassCount, ErrorCode, ImageRow, ImageStatus, Role } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { cachedByVersion } from './data-version.js';
import { imageIdentity, imageRowById, imageRowsByIds, type JoinedRow } from './image-rows.js';
import { nowIso } from './json.js';

/** One file as the scanner saw it. */
export interface ScannedFile {
  /** Set when this file is a known image that moved (found by findMissingBySha): it keeps id and history. */
  id?: number;
  relPath: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  /** First-level subfolder for train sources; null for inbox. */
  class: string | null;
  status: 'ok' | 'error';
  errorCode: ErrorCode | null;
  errorMessage: string | null;
}

export interface KnownFile {
  id: number;
  relPath: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
  status: ImageStatus;
  errorCode: ErrorCode | null;
}

/** What training and scoring need of an image, without the per-run joins of ImageRow. */
export type ImageBrief = Pick<
  ImageRow,
  'id' | 'sourceId' | 'role' | 'relPath' | 'path' | 'class' | 'sha256' | 'width' | 'height'
>;

interface KnownRow {
  id: number;
  rel_path: string;
  size: number;
  mtime_ms: number;
  sha256: string | null;
  status: ImageStatus;
  error_code: ErrorCode | null;
}

function toKnown(r: KnownRow): KnownFile {
  return {
    id: r.id,
    relPath: r.rel_path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    sha256: r.sha256,
    status: r.status,
    errorCode: r.error_code,
  };
}

/**
 * Inserts or updates a batch of scanned files in ONE immediate transaction (a killed scan loses at most the
 * batch in flight, never half of it). Returns the image ids in input order.
 */
export function upsertScanned(
  db: Db,
  sourceId: number,
  scanGen: number,
  files: readonly ScannedFile[],
  seenAt: string = nowIso(),
): number[] {
  const upsert = db.prepare(`
    INSERT INTO images (source_id, rel_path, size, mtime_ms, sha256, width, height, format, class, status,
                        error_code, error_message, first_seen, last_seen, seen_gen)
    VALUES (@sourceId, @relPath, @size, @mtimeMs, @sha256, @width, @height, @format, @class, @status,
            @errorCode, @errorMessage, @seenAt, @seenAt, @scanGen)
    ON CONFLICT (source_id, rel_path) DO UPDATE SET
      size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, width = excluded.width,
      height = excluded.height, format = excluded.format, class = excluded.class, status = excluded.status,
      error_code = excluded.error_code, error_message = excluded.error_message, last_seen = excluded.last_seen,
      seen_gen = excluded.seen_gen
    RETURNING id`);
  const move = db.prepare(`
    UPDATE images SET rel_path = @relPath, size = @size, mtime_ms = @mtimeMs, sha256 = @sha256, width = @width,
      height = @height, format = @format, class = @class, status = @status, error_code = @errorCode,
      error_message = @errorMessage, last_seen = @seenAt, seen_gen = @scanGen
    WHERE id = @id AND source_id = @sourceId`);
  const occupant = db.prepare('SELECT id FROM images WHERE source_id = ? AND rel_path = ?');
  const addClass = db.prepare('INSERT INTO classes (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');

  const run = db.transaction(() => {
    const ids: number[] = [];
    for (const f of files) {
      const params = {
        sourceId,
        scanGen,
        seenAt,
        relPath: f.relPath,
        size: f.size,
        mtimeMs: f.mtimeMs,
        sha256: f.sha256,
        width: f.width,
        height: f.height,
        format: f.format,
        class: f.class,
        status: f.status,
        errorCode: f.errorCode,
        errorMessage: f.errorMessage,
      };
      if (f.class !== null) addClass.run(f.class, seenAt);
      if (f.id !== undefined) {
        // A move onto a path another row still holds (an old missing file) cannot reuse that path: fall back
        // to a plain upsert so no row is lost.
        const holder = occupant.get(sourceId, f.relPath) as { id: number } | undefined;
        if (holder === undefined || holder.id === f.id) {
          if (move.run({ ...params, id: f.id }).changes === 1) {
            ids.push(f.id);
            continue;
          }
        }
      }
      ids.push((upsert.get(params) as { id: number }).id);
    }
    return ids;
  });
  return run.immediate();
}

/** Marks unchanged files as seen by this scan (a file that was missing and came back becomes ok/error again). */
export function markSeen(db: Db, ids: readonly number[], scanGen: number, seenAt: string = nowIso()): void {
  const stmt = db.prepare(`
    UPDATE images SET seen_gen = ?, last_seen = ?,
      status = CASE WHEN status = 'missing' THEN (CASE WHEN error_code IS NULL THEN 'ok' ELSE 'error' END)
               ELSE status END
    WHERE id = ?`);
  db.transaction(() => {
    for (const id of ids) stmt.run(scanGen, seenAt, id);
  }).immediate();
}

/** After a complete scan: every image of the source this scan did not see is marked missing (never deleted). */
export function markMissing(db: Db, sourceId: number, scanGen: number): number {
  return db
    .prepare("UPDATE images SET status = 'missing' WHERE source_id = ? AND seen_gen < ? AND status != 'missing'")
    .run(sourceId, scanGen).changes;
}

/** Everything an incremental scan compares against: relPath → stored size, mtime, hash and status. */
export function knownFiles(db: Db, sourceId: number): Map<string, KnownFile> {
  const map = new Map<string, KnownFile>();
  const stmt = db.prepare(
    'SELECT id, rel_path, size, mtime_ms, sha256, status, error_code FROM images WHERE source_id = ?',
  );
  for (const r of stmt.iterate(sourceId) as IterableIterator<KnownRow>) map.set(r.rel_path, toKnown(r));
  return map;
}

/** The same as knownFiles, one path at a time (the unique (source_id, rel_path) index): a scan of millions of
 * files then holds none of them in memory. */
export function knownFileLookup(db: Db, sourceId: number): (relPath: string) => KnownFile | undefined {
  const stmt = db.prepare(
    'SELECT id, rel_path, size, mtime_ms, sha256, status, error_code FROM images WHERE source_id = ? AND rel_path = ?',
  );
  return (relPath) => {
    const r = stmt.get(sourceId, relPath) as KnownRow | undefined;
    return r ? toKnown(r) : undefined;
  };
}

/**
 * Candidates for "this new path is a known image that moved": same content, and either marked missing or not
 * seen by the current scan (pass its generation). Oldest first.
 */
export function findMissingBySha(db: Db, sourceId: number, sha256: string, scanGen?: number): KnownFile[] {
  const rows = db
    .prepare(
      `SELECT id, rel_path, size, mtime_ms, sha256, status, error_code FROM images
       WHERE source_id = ? AND sha256 = ? AND (status = 'missing' OR seen_gen < ?) ORDER BY id`,
    )
    .all(sourceId, sha256, scanGen ?? -1) as KnownRow[];
  return rows.map(toKnown);
}

export function getImage(db: Db, id: number, runId: number | null = null): ImageRow {
  const row = imageRowById(db, id, runId);
  if (!row) throw new AppError('not-found', `no image with id ${id}`);
  return row;
}

export function getImages(db: Db, ids: readonly number[], runId: number | null = null): ImageRow[] {
  return imageRowsByIds(db, ids, runId);
}

export function imageIdByPath(db: Db, sourceId: number, relPath: string): number | null {
  const row = db.prepare('SELECT id FROM images WHERE source_id = ? AND rel_path = ?').get(sourceId, relPath) as
    { id: number } | undefined;
  return row?.id ?? null;
}

export function getImageByPath(
  db: Db,
  sourceId: number,
  relPath: string,
  runId: number | null = null,
): ImageRow | null {
  const id = imageIdByPath(db, sourceId, relPath);
  return id === null ? null : getImage(db, id, runId);
}

export function imageExists(db: Db, id: number): boolean {
  return db.prepare('SELECT 1 FROM images WHERE id = ?').get(id) !== undefined;
}

/** Streams images (memory stays flat for a million rows), in id order. Default: status ok only. */
export function* iterateImages(
  db: Db,
  filter: { status?: ImageStatus | 'any'; role?: Role; sourceId?: number } = {},
): Generator<ImageBrief> {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const status = filter.status ?? 'ok';
  if (status !== 'any') {
    where.push('i.status = @status');
    params.status = status;
  }
  if (filter.role !== undefined) {
    where.push('s.role = @role');
    params.role = filter.role;
  }
  if (filter.sourceId !== undefined) {
    where.push('i.source_id = @sourceId');
    params.sourceId = filter.sourceId;
  }
  const stmt = db.prepare(`
    SELECT i.id, i.source_id, s.role, i.rel_path, s.path AS source_path, i.class, i.sha256, i.width, i.height
    FROM images i JOIN sources s ON s.id = i.source_id
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY i.id`);
  type Row = Pick<
    JoinedRow,
    'id' | 'source_id' | 'role' | 'rel_path' | 'source_path' | 'class' | 'sha256' | 'width' | 'height'
  >;
  for (const r of stmt.iterate(params) as IterableIterator<Row>) {
    yield { ...imageIdentity(r), sha256: r.sha256, width: r.width, height: r.height };
  }
}

// The counts below are read on every status poll and first paint: cached until the data changes (a full count of
// 1,000,000 rows costs tens of milliseconds even from an index).

export function statusCounts(db: Db, sourceId?: number): Record<ImageStatus, number> {
  return { ...cachedByVersion(db, `statusCounts:${sourceId ?? ''}`, () => countStatuses(db, sourceId)) };
}

function countStatuses(db: Db, sourceId?: number): Record<ImageStatus, number> {
  const rows = db
    .prepare(
      `SELECT status, count(*) AS n FROM images ${sourceId === undefined ? '' : 'WHERE source_id = ?'} GROUP BY status`,
    )
    .all(...(sourceId === undefined ? [] : [sourceId])) as { status: ImageStatus; n: number }[];
  const out: Record<ImageStatus, number> = { ok: 0, error: 0, missing: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

export function errorCounts(db: Db, sourceId?: number): Partial<Record<ErrorCode, number>> {
  return { ...cachedByVersion(db, `errorCounts:${sourceId ?? ''}`, () => countErrors(db, sourceId)) };
}

function countErrors(db: Db, sourceId?: number): Partial<Record<ErrorCode, number>> {
  const rows = db
    .prepare(
      `SELECT error_code, count(*) AS n FROM images WHERE status = 'error' AND error_code IS NOT NULL
       ${sourceId === undefined ? '' : 'AND source_id = ?'} GROUP BY error_code ORDER BY error_code`,
    )
    .all(...(sourceId === undefined ? [] : [sourceId])) as { error_code: ErrorCode; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.error_code, r.n]));
}

/** Every known class (from train folders or relabels) with its count of usable (status ok) images. */
export function classCounts(db: Db): ClassCount[] {
  const counts = cachedByVersion(
    db,
    'classCounts',
    () =>
      db
        .prepare(
          `SELECT c.name AS name, (SELECT count(*) FROM images i WHERE i.class = c.name AND i.status = 'ok') AS count
           FROM classes c ORDER BY c.name`,
        )
        .all() as ClassCount[],
  );
  return counts.map((c) => ({ ...c }));
}

export function listClasses(db: Db): string[] {
  return (db.prepare('SELECT name FROM classes ORDER BY name').pluck().all() as string[]).slice();
}

/** A class that exists only through relabelling (no folder of that name yet). */
export function addClass(db: Db, name: string, at: string = nowIso()): void {
  if (name.trim() === '') throw new AppError('invalid-argument', 'a class name cannot be empty');
  db.prepare('INSERT INTO classes (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, at);
}

/** Images that failed to scan, newest problems last by path. */
export function listErrors(
  db: Db,
  options: { sourceId?: number; errorCode?: ErrorCode; limit?: number; offset?: number } = {},
): ImageRow[] {
  const where = ["status = 'error'"];
  const params: unknown[] = [];
  if (options.sourceId !== undefined) {
    where.push('source_id = ?');
    params.push(options.sourceId);
  }
  if (options.errorCode !== undefined) {
    where.push('error_code = ?');
    params.push(options.errorCode);
  }
  const ids = db
    .prepare(`SELECT id FROM images WHERE ${where.join(' AND ')} ORDER BY source_id, rel_path LIMIT ? OFFSET ?`)
    .pluck()
    .all(...params, options.limit ?? -1, options.offset ?? 0) as number[];
  return imageRowsByIds(db, ids, null);
}
