import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations.js';

function tables(db: Database.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[]
  ).slice();
}
function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).slice();
}
function indexes(db: Database.Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    .pluck()
    .all() as string[];
}

describe('migrations', () => {
  it('numbers steps 1..LATEST without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('migrates an empty database to the latest schema', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(tables(db)).toEqual(
      [
        'classes',
        'current_decisions',
        'exports',
        'heatmaps',
        'images',
        'project',
        'review_events',
        'run_images',
        'runs',
        'scores',
        'settings',
        'sources',
        // curation (version 3)
        'audit_samples',
        'content_stats',
        'curation_results',
        'duplicate_groups',
        'duplicate_members',
        'label_issues',
        'map_points',
        'review_reasons',
        // labeling (version 5)
        'label_batches',
        'label_events',
        'label_order',
        'run_calibration',
        // review grid at scale (version 7)
        'score_summaries',
      ].sort(),
    );
    expect(columns(db, 'images')).toEqual(
      expect.arrayContaining(['source_id', 'rel_path', 'size', 'mtime_ms', 'sha256', 'width', 'height', 'format']),
    );
    expect(columns(db, 'images')).toEqual(
      expect.arrayContaining(['class', 'status', 'error_code', 'error_message', 'first_seen', 'last_seen']),
    );
    expect(columns(db, 'review_events')).toEqual(
      expect.arrayContaining([
        'image_id',
        'action',
        'new_class',
        'note',
        'reviewer',
        'at',
        'run_id',
        'scores',
        'undoes',
      ]),
    );
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
    expect(triggers).toEqual([
      'review_events_no_delete',
      'review_events_no_update',
      'score_summaries_stale_on_delete',
      'score_summaries_stale_on_insert',
      'score_summaries_stale_on_update',
    ]);
  });

  it('migrates step by step, each step adding exactly its part', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 1)).toBe(1);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).not.toContain('exports');
    expect(indexes(db)).not.toContain('scores_by_value');
    expect(tables(db)).toContain('review_events');
    // Running again at the same target changes nothing.
    expect(migrate(db, 1)).toBe(1);
    expect(migrate(db, 2)).toBe(2);
    expect(tables(db)).toContain('exports');
    expect(indexes(db)).toContain('scores_by_value');
    expect(columns(db, 'exports')).toEqual(['id', 'out', 'options', 'counts', 'images', 'bytes', 'at']);
  });

  it('keeps data across a step', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'old', 'then')").run();
    migrate(db);
    expect(db.prepare('SELECT name FROM project').pluck().get()).toBe('old');
  });

  it('rolls a failing step back whole and wraps the error with its cause', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.exec('CREATE TABLE exports (x)'); // makes step 2 fail half-way
    let caught: unknown;
    try {
      migrate(db);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toMatch(/migration 2 .*failed/);
    expect((caught as Error).cause).toBeInstanceOf(Error);
    expect(schemaVersion(db)).toBe(1);
    expect(indexes(db)).not.toContain('scores_by_value');
  });

  it('rejects an impossible target', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, LATEST_VERSION + 1)).toThrow(RangeError);
  });
});
