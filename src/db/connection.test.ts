import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import { closeDatabase, openDatabase, openReadonly } from './connection.js';
import { LATEST_VERSION } from './migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('openDatabase', () => {
  it('sets the durability pragmas and migrates', () => {
    const db = openDatabase(join(dir, 'project.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    db.close();
  });

  it('refuses a database from a newer version, naming both versions, without touching it', () => {
    const file = join(dir, 'project.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 7}`);
    raw.close();
    const error = thrown(() => openDatabase(file));
    expect(isAppError(error, 'schema-too-new')).toBe(true);
    expect((error as Error).message).toContain(String(LATEST_VERSION + 7));
    expect((error as Error).message).toContain(String(LATEST_VERSION));
    const again = new Database(file);
    expect(again.pragma('journal_mode', { simple: true })).toBe('delete');
    again.close();
    expect(
      isAppError(
        thrown(() => openReadonly(file)),
        'schema-too-new',
      ),
    ).toBe(true);
  });

  it('refuses missing, non-SQLite and foreign files when not creating', () => {
    expect(
      isAppError(
        thrown(() => openDatabase(join(dir, 'none.db'), { create: false })),
        'not-a-project',
      ),
    ).toBe(true);
    const text = join(dir, 'text.db');
    writeFileSync(text, 'this is not a database, just text long enough to be a header.......................');
    expect(
      isAppError(
        thrown(() => openDatabase(text, { create: false })),
        'not-a-project',
      ),
    ).toBe(true);
    const foreign = join(dir, 'foreign.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE other (x)');
    raw.close();
    expect(
      isAppError(
        thrown(() => openDatabase(foreign, { create: false })),
        'not-a-project',
      ),
    ).toBe(true);
  });

  it('reopens an existing project and can stop at an older version (upgrade fixtures)', () => {
    const file = join(dir, 'old.db');
    const old = openDatabase(file, { toVersion: 1 });
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.close();
    expect(
      isAppError(
        thrown(() => openReadonly(file)),
        'refused',
      ),
    ).toBe(true);
    const db = openDatabase(file, { create: false });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    db.close();
    const ro = openReadonly(file);
    expect(() => ro.exec('CREATE TABLE x (y)')).toThrow();
    ro.close();
  });
});

describe('closeDatabase', () => {
  it('checkpoints the WAL away and closes; a second close is harmless', () => {
    const file = join(dir, 'project.db');
    const db = openDatabase(file);
    db.exec("INSERT INTO settings (key, value) VALUES ('k', '1')");
    closeDatabase(db);
    closeDatabase(db);
    expect(db.open).toBe(false);
    expect(!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0).toBe(true);
  });
});
