// Promise 1 (scans): a scan SIGKILLed at any moment loses no committed row, leaves an intact database, and the next
// scan finishes with exactly the right counts. The child runs the services' scan job and prints the committed
// count after every batch (runScan's afterBatch hook). SSOD_RELIABILITY_SCAN_KILLS=200 for a longer run.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSource, closeDatabase, openDatabase } from '../../src/db/index.js';
import { jpeg } from '../../src/scan/testing/images.js';
import { createProject } from '../../src/services/project-handle.js';
import { LineChild, tsArgv } from './helpers/child.js';
import { writeSmallImages } from './helpers/corpus.js';
import { hashTree, treeDiff, type TreeHash } from './helpers/hash-tree.js';
import { baseSeed, envInt, rng } from './helpers/rng.js';

const KILLS = envInt('SSOD_RELIABILITY_SCAN_KILLS', 20);
const GOOD = envInt('SSOD_RELIABILITY_SCAN_IMAGES', 400);
const BATCH = 10;
const WRITER = 'test/reliability/helpers/scan-writer.ts';

let dir: string;
let source: string;
let project: string;
let before: TreeHash;
const BAD = { 'zero-byte': 2, 'not-an-image': 2, truncated: 2 };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-scan-crash-'));
  source = join(dir, 'source');
  project = join(dir, 'project');
  await writeSmallImages(source, GOOD, { classes: 3 });
  const good = await jpeg(120, 90, 4);
  writeFileSync(join(source, 'class-0', 'empty-1.jpg'), '');
  writeFileSync(join(source, 'class-1', 'empty-2.png'), '');
  writeFileSync(join(source, 'class-0', 'text-1.jpg'), 'not an image\n');
  writeFileSync(join(source, 'class-2', 'text-2.png'), 'not an image either\n');
  writeFileSync(join(source, 'class-1', 'half-1.jpg'), good.subarray(0, good.length >> 1));
  writeFileSync(join(source, 'class-2', 'half-2.jpg'), good.subarray(0, good.length >> 2));
  const handle = createProject(project, 'scan crash');
  addSource(handle.db, source, 'train');
  handle.close();
  before = hashTree(source);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Snapshot {
  ids: Map<string, number>;
  seenThisScan: number;
}

function inspect(): Snapshot {
  const db = openDatabase(join(project, 'project.db'), { create: false });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const ids = new Map<string, number>();
    for (const r of db.prepare('SELECT rel_path, id, status, sha256 FROM images').all() as {
      rel_path: string;
      id: number;
      status: string;
      sha256: string | null;
    }[]) {
      ids.set(r.rel_path, r.id);
      if (r.status === 'ok') expect(r.sha256, r.rel_path).toMatch(/^[0-9a-f]{64}$/);
    }
    const seenThisScan = db
      .prepare('SELECT count(*) FROM images i JOIN sources s ON s.id = i.source_id WHERE i.seen_gen = s.scan_gen')
      .pluck()
      .get() as number;
    return { ids, seenThisScan };
  } finally {
    db.close();
  }
}

/** Every finished thumbnail must decode: they land by rename, so a kill leaves no half file under the final name. */
async function checkThumbs(): Promise<{ thumbs: number; temps: number }> {
  const thumbs = join(project, 'cache', 'thumbs');
  let count = 0;
  let temps = 0;
  for (const shard of readdirSync(thumbs)) {
    for (const name of readdirSync(join(thumbs, shard))) {
      if (name.endsWith('.tmp')) {
        temps += 1;
        continue;
      }
      const meta = await sharp(await readFile(join(thumbs, shard, name))).metadata();
      expect(meta.format, name).toBe('webp');
      count += 1;
    }
  }
  return { thumbs: count, temps };
}

describe('scans survive SIGKILL', () => {
  it(`${KILLS} kills mid-scan lose no committed row; the final scan has exact counts`, async () => {
    const seed = baseSeed();
    const r = rng(seed);
    const files = GOOD + 6;
    const batches = Math.ceil(files / BATCH);
    let prior = inspect();
    let maxCommitted = 0;
    let killedMid = 0;
    for (let k = 0; k < KILLS; k += 1) {
      const child = new LineChild(tsArgv(WRITER, project, String(BATCH)));
      // Kill after a random batch (and sometimes a little later, inside the next one): always before the end.
      const nth = r.int(1, batches - 1);
      const line = await child.waitFor((l) => l === `committed ${Math.min(nth * BATCH, files)}`);
      if (line === null) throw new Error(`scan child ended early:\n${child.stderr}`);
      if (r.next() < 0.5) await new Promise((done) => setTimeout(done, r.int(0, 40)));
      const ended = await child.kill();
      if (ended.signal === 'SIGKILL') killedMid += 1;
      const committed = Math.max(
        0,
        ...ended.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.split(' ')[1])),
      );
      maxCommitted = Math.max(maxCommitted, committed);
      const now = inspect();
      // No committed row lost, and each keeps its id (its review history hangs on it).
      for (const [rel, id] of prior.ids) expect(now.ids.get(rel), `row ${rel} lost after kill ${k}`).toBe(id);
      // What this scan acknowledged is in the store (a kill between markSeen and upsert may commit more, not less).
      if (ended.signal === 'SIGKILL') expect(now.seenThisScan).toBeGreaterThanOrEqual(committed);
      prior = now;
    }
    const thumbsAfterKills = await checkThumbs();
    expect(treeDiff(before, hashTree(source))).toEqual([]);

    // A final scan left to finish: exact counts.
    const final = new LineChild(tsArgv(WRITER, project, String(BATCH)));
    const ended = await final.ended;
    expect(ended.code, ended.stderr).toBe(0);
    const done = ended.lines.find((l) => l.startsWith('done '));
    expect(done).toBeDefined();
    const db = openDatabase(join(project, 'project.db'), { create: false });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const byStatus = Object.fromEntries(
        (
          db.prepare('SELECT status, count(*) AS n FROM images GROUP BY status').all() as {
            status: string;
            n: number;
          }[]
        ).map((x) => [x.status, x.n]),
      );
      expect(byStatus).toEqual({ ok: GOOD, error: 6 });
      const byCode = Object.fromEntries(
        (
          db
            .prepare("SELECT error_code, count(*) AS n FROM images WHERE status = 'error' GROUP BY error_code")
            .all() as {
            error_code: string;
            n: number;
          }[]
        ).map((x) => [x.error_code, x.n]),
      );
      expect(byCode).toEqual(BAD);
      const classes = db.prepare("SELECT count(DISTINCT class) FROM images WHERE status = 'ok'").pluck().get();
      expect(classes).toBe(3);
      for (const [rel, id] of prior.ids) {
        expect(db.prepare('SELECT id FROM images WHERE rel_path = ?').pluck().get(rel), rel).toBe(id);
      }
    } finally {
      closeDatabase(db);
    }
    const thumbs = await checkThumbs();
    expect(thumbs.thumbs).toBe(GOOD);
    expect(treeDiff(before, hashTree(source))).toEqual([]);
    console.log(
      `scan-crash: ${KILLS} kills (seed ${seed}, ${killedMid} mid-scan, up to ${maxCommitted} of ${files} records ` +
        `committed before a kill), 0 committed rows lost, final scan exact (${GOOD} ok, 6 errors by code); ` +
        `${thumbs.thumbs} thumbnails decode, ${thumbsAfterKills.temps} temp files left by kills; source unchanged`,
    );
  });
});
