// Promise 8: a project made by any older schema version opens after migration with every decision intact, and a
// project from a newer app is refused, by the store and by the CLI, with a clear one-line message.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LATEST_VERSION,
  MIGRATIONS,
  closeDatabase,
  history,
  openDatabase,
  rebuildCurrentDecisions,
  schemaVersion,
} from '../../src/db/index.js';
import { AppError } from '../../src/shared/errors.js';
import { REPO } from './helpers/child.js';
import { runCli as cli } from './helpers/project-runs.js';
import { buildOldProject, decisionsOf } from './helpers/old-projects.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-upgrades-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function readRaw(file: string): ReturnType<typeof decisionsOf> {
  const raw = new Database(file, { readonly: true });
  try {
    return decisionsOf(raw);
  } finally {
    raw.close();
  }
}

/** Opens an old project and checks it reached the newest schema with its decisions unchanged. */
function upgradeAndCheck(file: string, label: string): number {
  const before = readRaw(file);
  expect(before.events.length, label).toBeGreaterThan(0);
  const db = openDatabase(file, { create: false });
  try {
    expect(schemaVersion(db), label).toBe(LATEST_VERSION);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(rebuildCurrentDecisions(db), label).toEqual([]);
    // The repositories read the old rows: the audit trail with paths, newest first.
    expect(history(db).length).toBe(before.events.length);
    expect(history(db, { imageId: 1 })[0]).toMatchObject({
      action: 'relabel',
      newClass: 'dog',
      path: '/data/train/cat/1.jpg',
    });
  } finally {
    closeDatabase(db);
  }
  expect(readRaw(file), `${label}: decisions changed by the upgrade`).toEqual(before);
  return before.events.length;
}

describe('upgrades from every older schema', () => {
  const older = MIGRATIONS.map((m) => m.version).filter((v) => v < LATEST_VERSION);

  it.each(older)('a project made at schema %i opens with all decisions intact', (version) => {
    const file = join(dir, `v${version}.db`);
    buildOldProject(file, version);
    const raw = new Database(file, { readonly: true });
    expect(schemaVersion(raw)).toBe(version);
    raw.close();
    const n = upgradeAndCheck(file, `v${version}`);
    console.log(`upgrades: schema ${version} -> ${LATEST_VERSION}: ${n} decisions, 0 lost`);
  });

  it('the committed v1 fixture (made by the released migration 1) upgrades too', () => {
    // A fixture from the past catches an edited migration step, which a fixture rebuilt today would not.
    const file = join(dir, 'committed-v1.db');
    copyFileSync(join(REPO, 'test', 'reliability', 'fixtures', 'project-v1.db'), file);
    const n = upgradeAndCheck(file, 'committed v1');
    console.log(`upgrades: committed fixture project-v1.db -> ${LATEST_VERSION}: ${n} decisions, 0 lost`);
  });

  it('an upgraded project works through the CLI', () => {
    const project = join(dir, 'cli-old');
    mkdirSync(project);
    buildOldProject(join(project, 'project.db'), 1);
    const r = cli('status', project, '--json');
    expect(r.status, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { project: { schemaVersion: number }; decisions: Record<string, number> };
    expect(status.project.schemaVersion).toBe(LATEST_VERSION);
    expect(status.decisions).toEqual({ keep: 13, reject: 8, relabel: 1 });
  });
});

describe('a project from a newer app is refused', () => {
  function newerProject(name: string): string {
    const project = join(dir, name);
    mkdirSync(project);
    const file = join(project, 'project.db');
    buildOldProject(file, LATEST_VERSION);
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    return file;
  }

  it('by the store, with schema-too-new, and the file is left untouched', () => {
    const file = newerProject('newer-store');
    const bytes = readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file, { create: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('schema-too-new');
    expect((error as AppError).message).toContain(String(LATEST_VERSION + 1));
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('by the CLI: one clear line, non-zero exit, no stack trace', () => {
    const file = newerProject('newer-cli');
    const project = join(file, '..');
    const bytes = readFileSync(file);
    for (const args of [
      ['status', project],
      ['list', project],
      ['scan', project],
      ['status', project, '--json'],
    ]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      const text = `${r.stdout}${r.stderr}`.trim();
      expect(text, args.join(' ')).toMatch(/schema version|newer|update/i);
      expect(text).not.toMatch(/\n\s+at /);
      if (!args.includes('--json')) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(file).equals(bytes)).toBe(true);
    console.log(`upgrades: schema ${LATEST_VERSION + 1} refused by openDatabase and by 4 CLI commands, file untouched`);
  });
});
