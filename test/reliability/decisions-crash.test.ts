// Promise 1: committed review decisions survive a crash. A child writes decisions (single ones, 1,000-row
// batches, undos) through the real store and acknowledges each commit; we SIGKILL it at a seeded random moment,
// reopen the database and check integrity, every acknowledged decision, all-or-nothing batches and the
// current-decision table. SSOD_RELIABILITY_KILLS=1000 for a longer run; SSOD_RELIABILITY_SEED replays one.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, rebuildCurrentDecisions, type Db } from '../../src/db/index.js';
import { addScannedSource, scannedFile } from '../../src/db/testing.js';
import { initMeta } from '../../src/db/index.js';
import { bundledArgv, LineChild } from './helpers/child.js';
import { baseSeed, envInt, rng } from './helpers/rng.js';

const KILLS = envInt('SSOD_RELIABILITY_KILLS', 200);
/** A fresh copy of the template every so many kills keeps each check fast (the checks read every event). */
const KILLS_PER_DB = 25;
const IMAGES = 5000;

let dir: string;
let template: string;

function parseTag(tag: string): { kind: string; rows: number } {
  const m = /^k\d+\.o\d+\.(one|batch|undo1|undoN)\.n(\d+)$/.exec(tag);
  if (!m) throw new Error(`unexpected reviewer tag ${tag}`);
  return { kind: m[1] as string, rows: Number(m[2]) };
}

interface CheckResult {
  groups: number;
  events: number;
}

/** Everything the promise says, on a freshly reopened database. Throws with the first violation. */
function check(db: Db, acked: Map<string, [number, number]>): CheckResult {
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  const counts = new Map<string, { n: number; min: number; max: number }>();
  for (const row of db
    .prepare('SELECT reviewer, count(*) AS n, min(id) AS min, max(id) AS max FROM review_events GROUP BY reviewer')
    .all() as { reviewer: string; n: number; min: number; max: number }[]) {
    counts.set(row.reviewer, row);
  }
  let events = 0;
  for (const [tag, c] of counts) {
    // All-or-nothing: a tag present at all has every row its operation wrote, in one contiguous id range.
    const { rows } = parseTag(tag);
    expect(c.n, `operation ${tag}`).toBe(rows);
    expect(c.max - c.min + 1, `operation ${tag} contiguous`).toBe(rows);
    events += c.n;
  }
  for (const [tag, [first, last]] of acked) {
    const c = counts.get(tag);
    expect(c, `acknowledged ${tag} lost`).toBeDefined();
    expect([c?.min, c?.max], `acknowledged ${tag} ids`).toEqual([first, last]);
  }
  // One current decision per image, equal to what the events alone say.
  expect(rebuildCurrentDecisions(db)).toEqual([]);
  const dup = db.prepare('SELECT image_id FROM current_decisions GROUP BY image_id HAVING count(*) > 1').all();
  expect(dup).toEqual([]);
  return { groups: counts.size, events };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-decisions-crash-'));
  template = join(dir, 'template.db');
  const db = openDatabase(template);
  initMeta(db, 'decisions crash');
  addScannedSource(
    db,
    '/nonexistent/source',
    'train',
    Array.from({ length: IMAGES }, (_, i) => scannedFile(`c${i % 5}/img-${i}.jpg`)),
  );
  closeDatabase(db);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('decisions survive SIGKILL', () => {
  it(`${KILLS} kills: every acknowledged decision present, batches all-or-nothing, integrity ok`, async () => {
    const seed = baseSeed();
    const r = rng(seed);
    const child = await bundledArgv('test/reliability/helpers/decisions-writer.ts');
    let acked = new Map<string, [number, number]>();
    let dbFile = '';
    const totals = { acks: 0, ackedEvents: 0, midOp: 0, midOpCommitted: 0, notStarted: 0, dbs: 0 };
    for (let k = 0; k < KILLS; k += 1) {
      if (k % KILLS_PER_DB === 0) {
        dbFile = join(dir, `project-${k}.db`);
        copyFileSync(template, dbFile);
        acked = new Map();
        totals.dbs += 1;
      }
      const proc = new LineChild([...child.argv, dbFile, String(seed + k), String(k)], child.env);
      const ready = await proc.waitFor((l) => l === 'ready');
      if (ready === null) throw new Error(`writer did not start:\n${proc.stderr}`);
      // Two kinds of moment: a random time, or right after the n-th acknowledgement (just past a commit).
      if (r.next() < 0.5) {
        await new Promise((done) => setTimeout(done, r.int(0, 100)));
      } else {
        const nth = r.int(1, 6);
        let seen = 0;
        await proc.waitFor((l) => l.startsWith('ack ') && ++seen >= nth);
      }
      const ended = await proc.kill();
      if (ended.signal !== 'SIGKILL') throw new Error(`writer ended on its own (${ended.code}):\n${ended.stderr}`);
      let lastBegin: string | null = null;
      for (const line of ended.lines) {
        const [word, tag, first, last] = line.split(' ');
        if (word === 'begin') lastBegin = tag ?? null;
        if (word === 'ack' && tag) {
          acked.set(tag, [Number(first), Number(last)]);
          totals.acks += 1;
          totals.ackedEvents += parseTag(tag).rows;
          lastBegin = null;
        }
      }
      const db = openDatabase(dbFile, { create: false });
      try {
        check(db, acked);
        if (lastBegin) {
          totals.midOp += 1;
          const n = db.prepare('SELECT count(*) FROM review_events WHERE reviewer = ?').pluck().get(lastBegin);
          if (n) totals.midOpCommitted += 1;
        } else if (ended.lines.length <= 1) totals.notStarted += 1;
      } finally {
        db.close();
      }
    }
    console.log(
      `decisions-crash: ${KILLS} kills (seed ${seed}, ${totals.dbs} databases), ${totals.acks} acknowledged ` +
        `commits (${totals.ackedEvents} events), 0 lost; ${totals.midOp} kills inside an operation ` +
        `(${totals.midOpCommitted} of them committed before the acknowledgement), ${totals.notStarted} before the first`,
    );
    expect(totals.acks).toBeGreaterThan(KILLS / 2);
  });
});
