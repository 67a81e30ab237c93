// Projects as older app versions left them. The data is written with plain SQL against the schema of that
// version (not through today's repositories, which follow the newest schema), so each fixture is what an old
// release really wrote. When a migration is added, add the rows its new tables hold to DATA_AT.
import Database from 'better-sqlite3';
import { migrate } from '../../../src/db/index.js';

type Raw = Database.Database;

/** Rows valid at schema version 1: a project, two sources, images (ok, error, missing), a run, decisions, undos. */
function v1(db: Raw): void {
  const t = '2023-05-01T10:00:00.000Z';
  db.prepare('INSERT INTO project (id, name, created_at) VALUES (1, ?, ?)').run('old project', t);
  db.prepare("INSERT INTO settings (key, value) VALUES ('reviewer', '\"ada\"')").run();
  db.prepare("INSERT INTO sources (id, path, role, added_at, scan_gen) VALUES (1, '/data/train', 'train', ?, 1)").run(
    t,
  );
  db.prepare("INSERT INTO sources (id, path, role, added_at, scan_gen) VALUES (2, '/data/inbox', 'inbox', ?, 1)").run(
    t,
  );
  for (const c of ['cat', 'dog']) db.prepare('INSERT INTO classes (name, added_at) VALUES (?, ?)').run(c, t);
  const img = db.prepare(
    `INSERT INTO images (id, source_id, rel_path, size, mtime_ms, sha256, width, height, format, class, status,
       error_code, error_message, first_seen, last_seen, seen_gen)
     VALUES (?, ?, ?, 1000, 1.7e12, ?, 32, 32, 'jpeg', ?, ?, ?, ?, ?, ?, 1)`,
  );
  for (let i = 1; i <= 60; i += 1) {
    const source = i <= 40 ? 1 : 2;
    const cls = source === 1 ? (i % 2 ? 'cat' : 'dog') : null;
    const status = i === 13 ? 'error' : i === 14 ? 'missing' : 'ok';
    img.run(
      i,
      source,
      `${cls ?? 'in'}/${i}.jpg`,
      status === 'error' ? null : i.toString(16).padStart(64, '0'),
      cls,
      status,
      status === 'error' ? 'truncated' : null,
      status === 'error' ? 'truncated' : null,
      t,
      t,
    );
  }
  db.prepare(
    `INSERT INTO runs (id, status, started_at, finished_at, backbone, backend, seed, default_scorer, scorers, is_current)
     VALUES (1, 'done', ?, ?, 'mobilenet_v2', 'wasm', 1, 'ssod', '["ssod","msp"]', 1)`,
  ).run(t, t);
  const ri = db.prepare(
    `INSERT INTO run_images (run_id, image_id, predicted, scores, flagged) VALUES (1, ?, 'cat', ?, ?)`,
  );
  const sc = db.prepare('INSERT INTO scores (run_id, scorer, image_id, value, flagged) VALUES (1, ?, ?, ?, ?)');
  for (let i = 1; i <= 60; i += 1) {
    const v = (i * 7) % 10;
    ri.run(i, JSON.stringify({ ssod: v, msp: -v }), v > 7 ? 1 : 0);
    sc.run('ssod', i, v, v > 7 ? 1 : 0);
    sc.run('msp', i, -v, v > 7 ? 1 : 0);
  }
  // Decisions with a history: a relabel, a decision undone, a decision replaced.
  const ev = db.prepare(
    `INSERT INTO review_events (id, image_id, action, new_class, note, reviewer, at, run_id, scores, undoes)
     VALUES (?, ?, ?, ?, ?, 'ada', ?, 1, '{}', ?)`,
  );
  let id = 0;
  const events: [number, string, string | null, number | null][] = [];
  for (let i = 41; i <= 60; i += 1) events.push([i, i % 3 ? 'keep' : 'reject', null, null]);
  events.push([1, 'relabel', 'dog', null], [2, 'unsure', null, null], [3, 'keep', null, null]);
  events.push([3, 'reject', null, null]); // replaces keep
  for (const [imageId, action, cls, undoes] of events) ev.run(++id, imageId, action, cls, null, t, undoes);
  ev.run(id + 1, 2, 'undo', null, null, t, 22); // undoes image 2's unsure: nothing stands for it
  const cur = db.prepare(
    `INSERT INTO current_decisions (image_id, event_id, action, new_class, note, reviewer, at)
     SELECT image_id, id, action, new_class, note, reviewer, at FROM review_events WHERE id = ?`,
  );
  for (let e = 1; e <= 21; e += 1) cur.run(e);
  cur.run(24);
}

/** Rows that exist only from that version on. */
const DATA_AT: Record<number, (db: Raw) => void> = {
  1: v1,
  2: (db) => {
    db.prepare(
      `INSERT INTO exports (out, options, counts, images, bytes, at) VALUES ('/tmp/out', '{}', '{}', 40, 40000, ?)`,
    ).run('2023-06-01T00:00:00.000Z');
  },
  3: (db) => {
    const t = '2023-07-01T00:00:00.000Z';
    db.prepare(
      `INSERT INTO content_stats (sha256, dhash_hi, dhash_lo, phash_hi, phash_lo, brightness, contrast, sharpness,
         colourfulness) VALUES (?, 1, 2, 3, 4, 0.5, 0.2, 10, 0)`,
    ).run((1).toString(16).padStart(64, '0'));
    db.prepare(`INSERT INTO curation_results (run_id, kind, at) VALUES (1, 'duplicates', ?)`).run(t);
    db.prepare(
      `INSERT INTO duplicate_groups (id, run_id, position, kind, similarity, keeper_image_id, keeper_reason)
       VALUES (1, 1, 0, 'exact', 1, 5, 'largest')`,
    ).run();
    for (const image of [5, 7])
      db.prepare('INSERT INTO duplicate_members (group_id, image_id) VALUES (1, ?)').run(image);
    db.prepare(
      `INSERT INTO label_issues (run_id, image_id, rank, label, suggested, suggested_prob, score, is_issue)
       VALUES (1, 9, 0, 'cat', 'dog', 0.9, 0.95, 1)`,
    ).run();
    db.prepare(`INSERT INTO map_points (run_id, method, image_id, x, y) VALUES (1, 'pca', 1, 0.1, 0.2)`).run();
    db.prepare(`INSERT INTO audit_samples (run_id, image_id, threshold, drawn_at) VALUES (1, 50, 7.5, ?)`).run(t);
    db.prepare(`INSERT INTO review_reasons (event_id, reason) VALUES (1, 'duplicate')`).run();
  },
  4: (db) => {
    db.prepare(`UPDATE run_images SET calibrated = '{"ssod":0.5}' WHERE run_id = 1 AND image_id = 1`).run();
    db.prepare(`UPDATE runs SET calibrated_thresholds = '{"ssod":0.95}' WHERE id = 1`).run();
  },
  5: (db) => {
    const t = '2026-12-07T00:00:00.000Z';
    db.prepare(
      `INSERT INTO label_batches (id, method, reviewer, created_at, run_id) VALUES (1, 'manual', 'ann', ?, 1)`,
    ).run(t);
    db.prepare(
      `INSERT INTO label_events (event_id, batch_id, suggested, confidence, run_id) VALUES (1, 1, 'cat', 0.9, 1)`,
    ).run();
    db.prepare(
      `INSERT INTO run_calibration (run_id, method, temperature, fitted_at) VALUES (1, 'temperature', 1.5, ?)`,
    ).run(t);
    db.prepare(`INSERT INTO label_order (run_id, image_id, rank, informativeness) VALUES (1, 41, 0, 0.8)`).run();
  },
  6: (db) => {
    db.prepare(`UPDATE runs SET owner_pid = 4242 WHERE id = 1`).run();
  },
  7: (db) => {
    db.prepare(
      `INSERT INTO score_summaries (run_id, scorer, kind, data) VALUES (1, 'ssod', 'quantiles', '{"n":0}')`,
    ).run();
  },
};

/** Builds the schema step by step up to `version`, adding each version's rows as it goes. */
export function buildOldProject(file: string, version: number): void {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    for (let v = 1; v <= version; v += 1) {
      migrate(db, v);
      const add = DATA_AT[v];
      if (!add) throw new Error(`no fixture rows for schema version ${v}: add them to DATA_AT in old-projects.ts`);
      db.transaction(() => add(db))();
    }
    db.pragma('journal_mode = DELETE');
    db.exec('VACUUM');
  } finally {
    db.close();
  }
}

/** The decisions as they must read after any upgrade. */
export function decisionsOf(db: Raw): { events: unknown[]; current: unknown[] } {
  return {
    events: db
      .prepare(
        'SELECT id, image_id, action, new_class, note, reviewer, at, run_id, undoes FROM review_events ORDER BY id',
      )
      .all(),
    current: db.prepare('SELECT * FROM current_decisions ORDER BY image_id').all(),
  };
}

// `node bin/run-ts.js test/reliability/helpers/old-projects.ts OUT.db VERSION` writes a fixture to commit.
if (process.argv[1]?.endsWith('old-projects.ts') && process.argv[2]) {
  buildOldProject(process.argv[2], Number(process.argv[3] ?? 1));
}
