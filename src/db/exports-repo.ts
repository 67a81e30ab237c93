// A record of every completed export: where it went, with which options, and what it contained.
import type { ExportOptions } from '../shared/dto.js';
import type { Db } from './connection.js';
import { nowIso, parseJson, toJson } from './json.js';

export interface ExportRecord {
  id: number;
  out: string;
  options: ExportOptions | Record<string, unknown>;
  /** e.g. images per class, per decision. */
  counts: Record<string, unknown>;
  images: number;
  bytes: number;
  at: string;
}

export function recordExport(db: Db, e: Omit<ExportRecord, 'id' | 'at'> & { at?: string }): ExportRecord {
  const at = e.at ?? nowIso();
  const id = Number(
    db
      .prepare('INSERT INTO exports (out, options, counts, images, bytes, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.out, toJson(e.options), toJson(e.counts), e.images, e.bytes, at).lastInsertRowid,
  );
  return { id, out: e.out, options: e.options, counts: e.counts, images: e.images, bytes: e.bytes, at };
}

/** Newest first. */
export function listExports(db: Db): ExportRecord[] {
  const rows = db.prepare('SELECT * FROM exports ORDER BY id DESC').all() as {
    id: number;
    out: string;
    options: string;
    counts: string;
    images: number;
    bytes: number;
    at: string;
  }[];
  return rows.map((r) => ({
    id: r.id,
    out: r.out,
    options: parseJson<Record<string, unknown>>(r.options, {}),
    counts: parseJson<Record<string, unknown>>(r.counts, {}),
    images: r.images,
    bytes: r.bytes,
    at: r.at,
  }));
}
