// Image sets the review grid filters by (ImageQuery.selection and ImageQuery.quality), in TEMP tables of the open
// connection: a lasso's selection and the quality flags are derived state (from the map and from content_stats
// with the thresholds in settings), so they are rebuilt rather than migrated, and writing them is never seen
// by another process as a change to the project. src/db/image-query.ts reads both tables.
import type { Db } from './connection.js';

/** Selections kept per connection: older ones are dropped when a new one is made. */
export const KEPT_SELECTIONS = 8;

export function ensureImageSets(db: Db): void {
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS image_selection (
      selection_id INTEGER NOT NULL,
      image_id INTEGER NOT NULL,
      PRIMARY KEY (selection_id, image_id)
    ) WITHOUT ROWID;
    CREATE TEMP TABLE IF NOT EXISTS quality_flags (
      flag TEXT NOT NULL,
      image_id INTEGER NOT NULL,
      PRIMARY KEY (flag, image_id)
    ) WITHOUT ROWID;`);
}

/** Stores the images of `imageIds` that exist as a new selection; returns its id and size. */
export function putSelection(db: Db, imageIds: readonly number[]): { selectionId: number; count: number } {
  ensureImageSets(db);
  return db.transaction(() => {
    const last = db.prepare('SELECT max(selection_id) FROM temp.image_selection').pluck().get() as number | null;
    const selectionId = (last ?? 0) + 1;
    db.prepare('DELETE FROM temp.image_selection WHERE selection_id <= ?').run(selectionId - KEPT_SELECTIONS);
    const insert = db.prepare(
      'INSERT OR IGNORE INTO temp.image_selection (selection_id, image_id) SELECT ?, id FROM images WHERE id = ?',
    );
    let count = 0;
    for (const id of imageIds) count += insert.run(selectionId, id).changes;
    return { selectionId, count };
  })();
}

/** Replaces every quality flag: one row per flag an image carries. */
export function replaceQualityFlags(db: Db, rows: readonly { imageId: number; flags: readonly string[] }[]): void {
  ensureImageSets(db);
  const insert = db.prepare('INSERT OR IGNORE INTO temp.quality_flags (flag, image_id) VALUES (?, ?)');
  db.transaction(() => {
    db.prepare('DELETE FROM temp.quality_flags').run();
    for (const r of rows) for (const f of r.flags) insert.run(f, r.imageId);
  })();
}

/** Each flagged image's flags, as last replaced. */
export function qualityFlagsByImage(db: Db): Map<number, string[]> {
  ensureImageSets(db);
  const out = new Map<number, string[]>();
  const rows = db.prepare('SELECT image_id, flag FROM temp.quality_flags ORDER BY image_id').raw().iterate();
  for (const [id, flag] of rows as IterableIterator<[number, string]>) out.set(id, [...(out.get(id) ?? []), flag]);
  return out;
}
