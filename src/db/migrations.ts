// Numbered schema steps on PRAGMA user_version. Each step runs in its own BEGIN IMMEDIATE transaction together
// with the version bump, so a crash mid-migration leaves the database at the previous version, never between.
// Never edit a released step: add a new one. Older projects (issue 6's upgrade fixtures) migrate step by step.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const CORE_SCHEMA = `
CREATE TABLE project (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('train', 'inbox')),
  added_at TEXT NOT NULL,
  last_scan_at TEXT,
  -- Incremented by every scan; images carry the generation that last saw them. A counter, not a clock, decides
  -- what is missing, so a clock step (NTP, DST, manual change) cannot mark a whole folder missing.
  scan_gen INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE classes (
  name TEXT PRIMARY KEY,
  added_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  rel_path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  sha256 TEXT,
  width INTEGER,
  height INTEGER,
  format TEXT,
  class TEXT,
  status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'missing')),
  error_code TEXT,
  error_message TEXT,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  seen_gen INTEGER NOT NULL DEFAULT 0,
  UNIQUE (source_id, rel_path)
);
CREATE INDEX images_sha ON images(source_id, sha256);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  backbone TEXT NOT NULL,
  backend TEXT NOT NULL,
  seed INTEGER NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  metrics TEXT NOT NULL DEFAULT '{}',
  thresholds TEXT NOT NULL DEFAULT '{}',
  default_scorer TEXT NOT NULL DEFAULT 'ssod',
  scorers TEXT NOT NULL DEFAULT '[]',
  classes TEXT NOT NULL DEFAULT '[]',
  loss_curve TEXT NOT NULL DEFAULT '[]',
  snapshot TEXT NOT NULL DEFAULT '{}',
  model_path TEXT,
  error TEXT,
  heatmap_min REAL,
  heatmap_max REAL,
  is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1))
);
-- At most one current run, enforced by the database rather than by every caller.
CREATE UNIQUE INDEX runs_one_current ON runs(is_current) WHERE is_current = 1;

-- Per image and run: what the row shows. scores is a JSON copy of the image's scores so a page of rows and a
-- review snapshot need one lookup; the scores table below is what sorting and filtering use.
CREATE TABLE run_images (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  predicted TEXT,
  top TEXT NOT NULL DEFAULT '[]',
  scores TEXT NOT NULL DEFAULT '{}',
  flagged INTEGER CHECK (flagged IN (0, 1)),
  PRIMARY KEY (run_id, image_id)
) WITHOUT ROWID;

CREATE TABLE scores (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  scorer TEXT NOT NULL,
  image_id INTEGER NOT NULL REFERENCES images(id),
  value REAL NOT NULL,
  -- The run's flag for the image, copied beside every score so the listing index answers "flagged" without
  -- visiting another table.
  flagged INTEGER CHECK (flagged IN (0, 1)),
  PRIMARY KEY (run_id, scorer, image_id)
) WITHOUT ROWID;

CREATE TABLE heatmaps (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  h INTEGER NOT NULL,
  w INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, image_id)
) WITHOUT ROWID;

-- The audit trail. Append-only: the triggers below make UPDATE and DELETE fail for every caller.
CREATE TABLE review_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  image_id INTEGER NOT NULL REFERENCES images(id),
  action TEXT NOT NULL CHECK (action IN ('keep', 'reject', 'relabel', 'unsure', 'undo')),
  new_class TEXT,
  note TEXT,
  reviewer TEXT NOT NULL,
  at TEXT NOT NULL,
  run_id INTEGER REFERENCES runs(id),
  scores TEXT NOT NULL DEFAULT '{}',
  undoes INTEGER REFERENCES review_events(id),
  CHECK ((action = 'relabel') = (new_class IS NOT NULL)),
  CHECK ((action = 'undo') = (undoes IS NOT NULL))
);
CREATE INDEX review_events_image ON review_events(image_id, id);
CREATE INDEX review_events_undoes ON review_events(undoes) WHERE undoes IS NOT NULL;
CREATE TRIGGER review_events_no_update BEFORE UPDATE ON review_events
BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END;
CREATE TRIGGER review_events_no_delete BEFORE DELETE ON review_events
BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END;

-- The standing decision of each image (latest decision not undone), kept in the same transaction as the
-- events it derives from; rebuildable from review_events at any time.
CREATE TABLE current_decisions (
  image_id INTEGER PRIMARY KEY REFERENCES images(id),
  event_id INTEGER NOT NULL REFERENCES review_events(id),
  action TEXT NOT NULL CHECK (action IN ('keep', 'reject', 'relabel', 'unsure')),
  new_class TEXT,
  note TEXT,
  reviewer TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX current_decisions_action ON current_decisions(action);
`;

const EXPORTS_AND_LISTING_INDEXES = `
CREATE TABLE exports (
  id INTEGER PRIMARY KEY,
  out TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}',
  counts TEXT NOT NULL DEFAULT '{}',
  images INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  at TEXT NOT NULL
);

-- Sorting a run's images by one scorer walks this index in order (image_id rides along as the primary key),
-- so a page of 200 out of 1,000,000 reads ~200 entries instead of sorting the whole run; the flag rides along
-- too, so the flagged filter never leaves the index.
CREATE INDEX scores_by_value ON scores(run_id, scorer, value, flagged);
CREATE INDEX images_class ON images(class, status);
CREATE INDEX images_status ON images(status, error_code);
`;

// Curation beyond OOD (src/db/curation-repo.ts): per-content statistics, and per-run results, each marked done in
// curation_results so "never computed" and "computed, nothing found" differ. review_reasons says why a decision
// was made (e.g. 'duplicate') beside the append-only trail, which stays as it is.
const CURATION = `
CREATE TABLE content_stats (
  sha256 TEXT PRIMARY KEY,
  dhash_hi INTEGER NOT NULL,
  dhash_lo INTEGER NOT NULL,
  phash_hi INTEGER NOT NULL,
  phash_lo INTEGER NOT NULL,
  brightness REAL NOT NULL,
  contrast REAL NOT NULL,
  sharpness REAL NOT NULL,
  colourfulness REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE curation_results (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (run_id, kind)
) WITHOUT ROWID;

CREATE TABLE duplicate_groups (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('exact', 'near')),
  similarity REAL NOT NULL,
  relations TEXT NOT NULL DEFAULT '[]',
  keeper_image_id INTEGER NOT NULL REFERENCES images(id),
  keeper_reason TEXT NOT NULL
);
CREATE INDEX duplicate_groups_run ON duplicate_groups(run_id, position);

CREATE TABLE duplicate_members (
  group_id INTEGER NOT NULL REFERENCES duplicate_groups(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  PRIMARY KEY (group_id, image_id)
) WITHOUT ROWID;
CREATE INDEX duplicate_members_image ON duplicate_members(image_id);

CREATE TABLE label_issues (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  rank INTEGER NOT NULL,
  label TEXT NOT NULL,
  suggested TEXT NOT NULL,
  suggested_prob REAL NOT NULL,
  score REAL NOT NULL,
  is_issue INTEGER NOT NULL CHECK (is_issue IN (0, 1)),
  PRIMARY KEY (run_id, image_id)
) WITHOUT ROWID;
CREATE INDEX label_issues_rank ON label_issues(run_id, rank);

CREATE TABLE map_points (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  method TEXT NOT NULL,
  image_id INTEGER NOT NULL REFERENCES images(id),
  x REAL NOT NULL,
  y REAL NOT NULL,
  PRIMARY KEY (run_id, method, image_id)
) WITHOUT ROWID;

CREATE TABLE audit_samples (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  threshold REAL NOT NULL,
  drawn_at TEXT NOT NULL,
  PRIMARY KEY (run_id, image_id)
) WITHOUT ROWID;

CREATE TABLE review_reasons (
  event_id INTEGER PRIMARY KEY REFERENCES review_events(id),
  reason TEXT NOT NULL
);
`;

// Calibrated scores (src/engine/ssod/calibrate.ts): per image and run, each score as the share of held-out ID images
// with a lower score; per run, each threshold on that scale. JSON maps beside the raw ones, which stay as they are.
const CALIBRATED_SCORES = `
ALTER TABLE run_images ADD COLUMN calibrated TEXT NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN calibrated_thresholds TEXT NOT NULL DEFAULT '{}';
`;

// Labeling (src/db/labels-repo.ts): a label is a `relabel` review event; label_events says which batch gave it and
// what the run suggested at the time, beside the append-only trail. run_calibration keeps each run's fitted
// temperature (listings apply it to the stored probabilities); label_order is a run's informative order of the inbox.
const LABELING = `
CREATE TABLE label_batches (
  id INTEGER PRIMARY KEY,
  method TEXT NOT NULL CHECK (method IN ('manual', 'accept', 'bulk', 'cluster')),
  reviewer TEXT NOT NULL,
  created_at TEXT NOT NULL,
  run_id INTEGER REFERENCES runs(id),
  min_confidence REAL,
  undone_at TEXT
);

CREATE TABLE label_events (
  event_id INTEGER PRIMARY KEY REFERENCES review_events(id),
  batch_id INTEGER NOT NULL REFERENCES label_batches(id),
  suggested TEXT,
  confidence REAL,
  run_id INTEGER REFERENCES runs(id)
);
CREATE INDEX label_events_batch ON label_events(batch_id);

CREATE TABLE run_calibration (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  method TEXT NOT NULL,
  temperature REAL NOT NULL,
  report TEXT NOT NULL DEFAULT '{}',
  fitted_at TEXT NOT NULL
);

CREATE TABLE label_order (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  image_id INTEGER NOT NULL REFERENCES images(id),
  rank INTEGER NOT NULL,
  informativeness REAL NOT NULL,
  PRIMARY KEY (run_id, image_id)
) WITHOUT ROWID;
CREATE INDEX label_order_rank ON label_order(run_id, rank);
`;

// A run records the process that trains it, so opening the project from a second process (the app while
// `ssod train` runs in a terminal) fails only runs whose process is gone, never a live one.
const RUN_OWNER = `
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
`;

// The review grid at 1,000,000 images: indexes that answer the class legend's, the sources' and a role filter's
// counts from the index alone (images_class is subsumed by its longer successor), and stored score summaries per
// run and scorer (src/db/score-summary.ts: the grid's histogram, the quantiles behind percentiles). The database
// drops a run's summaries itself whenever any of its scores is written, so no writer can leave one stale.
const GRID_AT_SCALE = `
CREATE INDEX images_class_source ON images(class, status, source_id);
DROP INDEX images_class;
-- Status first: led by source_id it tempted the planner to join every image of a source for a page of ids.
CREATE INDEX images_status_source ON images(status, source_id);

CREATE TABLE score_summaries (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  scorer TEXT NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, scorer, kind)
) WITHOUT ROWID;
CREATE TRIGGER score_summaries_stale_on_insert AFTER INSERT ON scores
BEGIN DELETE FROM score_summaries WHERE run_id = NEW.run_id AND scorer = NEW.scorer; END;
CREATE TRIGGER score_summaries_stale_on_update AFTER UPDATE ON scores
BEGIN DELETE FROM score_summaries WHERE run_id IN (OLD.run_id, NEW.run_id); END;
CREATE TRIGGER score_summaries_stale_on_delete AFTER DELETE ON scores
BEGIN DELETE FROM score_summaries WHERE run_id = OLD.run_id AND scorer = OLD.scorer; END;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'core schema', sql: CORE_SCHEMA },
  { version: 2, name: 'exports table and listing indexes', sql: EXPORTS_AND_LISTING_INDEXES },
  {
    version: 3,
    name: 'curation: content statistics, duplicates, label issues, map, audit sample, reasons',
    sql: CURATION,
  },
  { version: 4, name: 'calibrated scores and thresholds', sql: CALIBRATED_SCORES },
  { version: 5, name: 'labeling: batches, label events, run calibration, informative order', sql: LABELING },
  { version: 6, name: 'the process that owns a running run', sql: RUN_OWNER },
  { version: 7, name: 'review grid at scale: counting indexes, stored score summaries', sql: GRID_AT_SCALE },
];

export const LATEST_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every step above the database's version up to `toVersion` (default: latest). Returns the new version. */
export function migrate(db: Database.Database, toVersion: number = LATEST_VERSION): number {
  if (!Number.isInteger(toVersion) || toVersion < 0 || toVersion > LATEST_VERSION) {
    throw new RangeError(`migrate: toVersion must be an integer in 0..${LATEST_VERSION}, got ${toVersion}`);
  }
  let current = schemaVersion(db);
  for (const step of MIGRATIONS) {
    if (step.version <= current || step.version > toVersion) continue;
    const apply = db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new Error(`schema migration ${step.version} (${step.name}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    current = step.version;
  }
  return current;
}
