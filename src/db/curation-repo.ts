// Curation results per run (duplicate groups, likely label issues, map points, the budget's audit sample) and
// per content (perceptual hashes and image-quality statistics, computed once per sha256). Each `replace*`
// writes a whole result in one transaction, so a reader sees the old result or the new, never half.
import { join } from 'node:path';
import type { Role } from '../shared/dto.js';
import type { Db } from './connection.js';
import { nowIso, parseJson, toJson } from './json.js';

export interface CurationImage {
  id: number;
  sha256: string | null;
  role: Role;
  path: string;
  relPath: string;
  class: string | null;
  width: number;
  height: number;
  bytes: number;
  /** The run's top class probabilities, best first (empty without a result for the image). */
  top: { class: string; prob: number }[];
  predicted: string | null;
  /** The run's default score; null without a result. */
  score: number | null;
  decision: { action: string; newClass: string | null } | null;
}

/** Every readable image with what curation needs of the run (streamed: a million rows stay flat in memory). */
export function* curationImages(db: Db, runId: number | null, scorer: string | null): Generator<CurationImage> {
  const stmt = db.prepare(`
    SELECT i.id, i.sha256, s.role, s.path AS source_path, i.rel_path, i.class, i.width, i.height, i.size,
           r.top, r.predicted, sc.value AS score, d.action, d.new_class
    FROM images i
    JOIN sources s ON s.id = i.source_id
    LEFT JOIN run_images r ON r.run_id = @runId AND r.image_id = i.id
    LEFT JOIN scores sc ON sc.run_id = @runId AND sc.scorer = @scorer AND sc.image_id = i.id
    LEFT JOIN current_decisions d ON d.image_id = i.id
    WHERE i.status = 'ok' ORDER BY i.id`);
  type Row = {
    id: number;
    sha256: string | null;
    role: Role;
    source_path: string;
    rel_path: string;
    class: string | null;
    width: number | null;
    height: number | null;
    size: number;
    top: string | null;
    predicted: string | null;
    score: number | null;
    action: string | null;
    new_class: string | null;
  };
  for (const r of stmt.iterate({ runId, scorer }) as IterableIterator<Row>) {
    yield {
      id: r.id,
      sha256: r.sha256,
      role: r.role,
      path: join(r.source_path, r.rel_path),
      relPath: r.rel_path,
      class: r.class,
      width: r.width ?? 0,
      height: r.height ?? 0,
      bytes: r.size,
      top: parseJson<{ class: string; prob: number }[]>(r.top, []),
      predicted: r.predicted,
      score: r.score,
      decision: r.action ? { action: r.action, newClass: r.new_class } : null,
    };
  }
}

export interface ContentStats {
  sha256: string;
  dHash: [number, number];
  pHash: [number, number];
  brightness: number;
  contrast: number;
  sharpness: number;
  colourfulness: number;
}

export function putContentStats(db: Db, rows: readonly ContentStats[]): void {
  const stmt = db.prepare(`INSERT INTO content_stats (sha256, dhash_hi, dhash_lo, phash_hi, phash_lo, brightness,
      contrast, sharpness, colourfulness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (sha256) DO NOTHING`);
  db.transaction(() => {
    for (const r of rows) {
      stmt.run(
        r.sha256,
        r.dHash[0],
        r.dHash[1],
        r.pHash[0],
        r.pHash[1],
        r.brightness,
        r.contrast,
        r.sharpness,
        r.colourfulness,
      );
    }
  })();
}

export function contentStats(db: Db): Map<string, ContentStats> {
  type Row = { sha256: string; dhash_hi: number; dhash_lo: number; phash_hi: number; phash_lo: number } & Omit<
    ContentStats,
    'sha256' | 'dHash' | 'pHash'
  >;
  const out = new Map<string, ContentStats>();
  for (const r of db.prepare('SELECT * FROM content_stats').iterate() as IterableIterator<Row>) {
    out.set(r.sha256, {
      sha256: r.sha256,
      dHash: [r.dhash_hi, r.dhash_lo],
      pHash: [r.phash_hi, r.phash_lo],
      brightness: r.brightness,
      contrast: r.contrast,
      sharpness: r.sharpness,
      colourfulness: r.colourfulness,
    });
  }
  return out;
}

export interface StoredDuplicateGroup {
  id: number;
  kind: 'exact' | 'near';
  similarity: number;
  relations: string[];
  keeperImageId: number;
  keeperReason: string;
  imageIds: number[];
}

export function replaceDuplicateGroups(
  db: Db,
  runId: number,
  groups: readonly Omit<StoredDuplicateGroup, 'id'>[],
): void {
  const insertGroup = db.prepare(`INSERT INTO duplicate_groups (run_id, kind, similarity, relations, keeper_image_id,
      keeper_reason, position) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insertMember = db.prepare('INSERT INTO duplicate_members (group_id, image_id) VALUES (?, ?)');
  db.transaction(() => {
    db.prepare(
      'DELETE FROM duplicate_members WHERE group_id IN (SELECT id FROM duplicate_groups WHERE run_id = ?)',
    ).run(runId);
    db.prepare('DELETE FROM duplicate_groups WHERE run_id = ?').run(runId);
    groups.forEach((g, position) => {
      const id = Number(
        insertGroup.run(runId, g.kind, g.similarity, toJson(g.relations), g.keeperImageId, g.keeperReason, position)
          .lastInsertRowid,
      );
      for (const imageId of g.imageIds) insertMember.run(id, imageId);
    });
    db.prepare(
      `INSERT INTO curation_results (run_id, kind, at) VALUES (?, 'duplicates', ?)
      ON CONFLICT (run_id, kind) DO UPDATE SET at = excluded.at`,
    ).run(runId, nowIso());
  })();
}

/** Stored groups in their order, or null when duplicates were never computed for the run. */
export function duplicateGroups(db: Db, runId: number): StoredDuplicateGroup[] | null {
  if (!hasResult(db, runId, 'duplicates')) return null;
  type Row = {
    id: number;
    kind: 'exact' | 'near';
    similarity: number;
    relations: string;
    keeper_image_id: number;
    keeper_reason: string;
  };
  const rows = db.prepare('SELECT * FROM duplicate_groups WHERE run_id = ? ORDER BY position').all(runId) as Row[];
  const members = db.prepare('SELECT image_id FROM duplicate_members WHERE group_id = ? ORDER BY image_id');
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    similarity: r.similarity,
    relations: parseJson<string[]>(r.relations, []),
    keeperImageId: r.keeper_image_id,
    keeperReason: r.keeper_reason,
    imageIds: (members.all(r.id) as { image_id: number }[]).map((m) => m.image_id),
  }));
}

export interface StoredLabelIssue {
  imageId: number;
  label: string;
  suggested: string;
  suggestedProb: number;
  score: number;
  isIssue: boolean;
}

export function replaceLabelIssues(db: Db, runId: number, ranked: readonly StoredLabelIssue[]): void {
  const stmt = db.prepare(`INSERT INTO label_issues (run_id, image_id, rank, label, suggested, suggested_prob, score,
      is_issue) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    db.prepare('DELETE FROM label_issues WHERE run_id = ?').run(runId);
    ranked.forEach((r, rank) =>
      stmt.run(runId, r.imageId, rank, r.label, r.suggested, r.suggestedProb, r.score, r.isIssue ? 1 : 0),
    );
    db.prepare(
      `INSERT INTO curation_results (run_id, kind, at) VALUES (?, 'label-issues', ?)
      ON CONFLICT (run_id, kind) DO UPDATE SET at = excluded.at`,
    ).run(runId, nowIso());
  })();
}

export function labelIssues(
  db: Db,
  runId: number,
  options: { limit?: number; issuesOnly?: boolean } = {},
): StoredLabelIssue[] | null {
  if (!hasResult(db, runId, 'label-issues')) return null;
  type Row = {
    image_id: number;
    label: string;
    suggested: string;
    suggested_prob: number;
    score: number;
    is_issue: number;
  };
  const rows = db
    .prepare(
      `SELECT * FROM label_issues WHERE run_id = ? ${options.issuesOnly ? 'AND is_issue = 1' : ''} ORDER BY rank LIMIT ?`,
    )
    .all(runId, options.limit ?? -1) as Row[];
  return rows.map((r) => ({
    imageId: r.image_id,
    label: r.label,
    suggested: r.suggested,
    suggestedProb: r.suggested_prob,
    score: r.score,
    isIssue: r.is_issue === 1,
  }));
}

export function replaceMapPoints(
  db: Db,
  runId: number,
  method: string,
  points: readonly { imageId: number; x: number; y: number }[],
): void {
  const stmt = db.prepare('INSERT INTO map_points (run_id, method, image_id, x, y) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    db.prepare('DELETE FROM map_points WHERE run_id = ? AND method = ?').run(runId, method);
    for (const p of points) stmt.run(runId, method, p.imageId, p.x, p.y);
    db.prepare(
      `INSERT INTO curation_results (run_id, kind, at) VALUES (?, ?, ?)
      ON CONFLICT (run_id, kind) DO UPDATE SET at = excluded.at`,
    ).run(runId, `map-${method}`, nowIso());
  })();
}

export function mapPoints(db: Db, runId: number, method: string): { imageId: number; x: number; y: number }[] | null {
  if (!hasResult(db, runId, `map-${method}`)) return null;
  return (
    db
      .prepare('SELECT image_id, x, y FROM map_points WHERE run_id = ? AND method = ? ORDER BY image_id')
      .all(runId, method) as {
      image_id: number;
      x: number;
      y: number;
    }[]
  ).map((r) => ({ imageId: r.image_id, x: r.x, y: r.y }));
}

export function addAuditSample(db: Db, runId: number, imageIds: readonly number[], threshold: number): void {
  const stmt = db.prepare(`INSERT INTO audit_samples (run_id, image_id, threshold, drawn_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (run_id, image_id) DO NOTHING`);
  const at = nowIso();
  db.transaction(() => {
    for (const id of imageIds) stmt.run(runId, id, threshold, at);
  })();
}

export function auditSampleIds(db: Db, runId: number): Set<number> {
  const rows = db.prepare('SELECT image_id FROM audit_samples WHERE run_id = ?').all(runId) as { image_id: number }[];
  return new Set(rows.map((r) => r.image_id));
}

/** Why review events were recorded (e.g. 'duplicate'), beside the append-only trail. */
export function recordReasons(db: Db, eventIds: readonly number[], reason: string): void {
  const stmt = db.prepare(
    'INSERT INTO review_reasons (event_id, reason) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING',
  );
  db.transaction(() => {
    for (const id of eventIds) stmt.run(id, reason);
  })();
}

export function reasonsOf(db: Db, eventIds: readonly number[]): Map<number, string> {
  const stmt = db.prepare('SELECT reason FROM review_reasons WHERE event_id = ?');
  const out = new Map<number, string>();
  for (const id of eventIds) {
    const r = stmt.get(id) as { reason: string } | undefined;
    if (r) out.set(id, r.reason);
  }
  return out;
}

function hasResult(db: Db, runId: number, kind: string): boolean {
  return db.prepare('SELECT 1 FROM curation_results WHERE run_id = ? AND kind = ?').get(runId, kind) !== undefined;
}

/** Moves whenever a scan may have changed which contents the project holds (every scan bumps its source's
 * generation; adding or removing a source changes the list): a cheap key for caches of the contents. */
export function contentsToken(db: Db): string {
  const t = db.prepare("SELECT group_concat(id || ':' || scan_gen, ',') FROM sources").pluck().get();
  return typeof t === 'string' ? t : '';
}

/** The distinct contents of every readable image, in image order (the row order of curation's feature work). */
export function readableContents(db: Db): string[] {
  const stmt = db.prepare("SELECT sha256 FROM images WHERE status = 'ok' AND sha256 IS NOT NULL ORDER BY id");
  return [...new Set(stmt.pluck().all() as string[])];
}

export interface ContentImage {
  id: number;
  sha256: string;
  role: Role;
  path: string;
  class: string | null;
}

/** The readable images holding these contents, per content in the order given, each content's images by id. */
export function imagesOfContents(db: Db, shas: readonly string[]): ContentImage[] {
  // Sources first (a few), then the (source_id, sha256) index: no pass over every image.
  const stmt = db.prepare(`
    SELECT i.id, i.sha256, s.role, s.path AS source_path, i.rel_path, i.class
    FROM sources s CROSS JOIN images i ON i.source_id = s.id AND i.sha256 = ?
    WHERE i.status = 'ok' ORDER BY i.id`);
  type Row = { id: number; sha256: string; role: Role; source_path: string; rel_path: string; class: string | null };
  return shas.flatMap((sha) =>
    (stmt.all(sha) as Row[]).map((r) => ({
      id: r.id,
      sha256: r.sha256,
      role: r.role,
      path: join(r.source_path, r.rel_path),
      class: r.class,
    })),
  );
}

/** The content of a readable image; null when the image is unknown or unreadable. */
export function contentOfImage(db: Db, imageId: number): string | null {
  const sha = db.prepare("SELECT sha256 FROM images WHERE id = ? AND status = 'ok'").pluck().get(imageId);
  return typeof sha === 'string' ? sha : null;
}
