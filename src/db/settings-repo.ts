// Project-level settings (key → JSON value) and the project's own identity row.
import { AppError } from '../shared/errors.js';
import type { Db } from './connection.js';
import { nowIso, parseJson, toJson } from './json.js';
import { schemaVersion } from './migrations.js';

export interface ProjectMeta {
  name: string;
  createdAt: string;
  schemaVersion: number;
}

/** Writes the project's name once (a new project); later calls keep the first name and creation time. */
export function initMeta(db: Db, name: string, createdAt: string = nowIso()): ProjectMeta {
  db.prepare('INSERT INTO project (id, name, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING').run(
    name,
    createdAt,
  );
  return getMeta(db) as ProjectMeta;
}

/** The project's identity, or null for a database that was never initialised as a project. */
export function getMeta(db: Db): ProjectMeta | null {
  const row = db.prepare('SELECT name, created_at FROM project WHERE id = 1').get() as
    { name: string; created_at: string } | undefined;
  if (!row) return null;
  return { name: row.name, createdAt: row.created_at, schemaVersion: schemaVersion(db) };
}

export function renameProject(db: Db, name: string): void {
  const info = db.prepare('UPDATE project SET name = ? WHERE id = 1').run(name);
  if (info.changes === 0) throw new AppError('not-a-project', 'the project has no identity row; call initMeta first');
}

export function getSetting<T>(db: Db, key: string, fallback: T): T {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? parseJson<T>(row.value, fallback) : fallback;
}

/** Stores any JSON value; `undefined` deletes the key. */
export function setSetting(db: Db, key: string, value: unknown): void {
  if (value === undefined) {
    db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    return;
  }
  db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, toJson(value));
}

export function allSettings(db: Db): Record<string, unknown> {
  const rows = db.prepare('SELECT key, value FROM settings ORDER BY key').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, parseJson<unknown>(r.value, null)]));
}
