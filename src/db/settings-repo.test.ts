import { describe, expect, it } from 'vitest';
import { listExports, recordExport } from './exports-repo.js';
import { LATEST_VERSION } from './migrations.js';
import { allSettings, getMeta, getSetting, initMeta, renameProject, setSetting } from './settings-repo.js';
import { memoryProject } from './testing.js';
import { openDatabase } from './connection.js';

describe('project meta and settings', () => {
  it('initialises the identity once and reports the schema version', () => {
    const db = openDatabase(':memory:');
    expect(getMeta(db)).toBeNull();
    expect(initMeta(db, 'first', 'T0')).toEqual({ name: 'first', createdAt: 'T0', schemaVersion: LATEST_VERSION });
    expect(initMeta(db, 'second', 'T1').name).toBe('first');
    renameProject(db, 'renamed');
    expect(getMeta(db)?.name).toBe('renamed');
  });

  it('stores JSON settings; undefined deletes', () => {
    const db = memoryProject();
    expect(getSetting(db, 'reviewer', null)).toBeNull();
    setSetting(db, 'reviewer', 'ann');
    setSetting(db, 'theme', 'dark');
    setSetting(db, 'reviewer', 'bob');
    expect(getSetting<string | null>(db, 'reviewer', null)).toBe('bob');
    expect(allSettings(db)).toEqual({ reviewer: 'bob', theme: 'dark' });
    setSetting(db, 'theme', undefined);
    expect(allSettings(db)).toEqual({ reviewer: 'bob' });
  });
});

describe('exports', () => {
  it('records and lists exports newest first', () => {
    const db = memoryProject();
    recordExport(db, { out: '/o/1', options: { out: '/o/1' }, counts: { a: 1 }, images: 1, bytes: 10, at: 'T1' });
    const second = recordExport(db, {
      out: '/o/2',
      options: { out: '/o/2', mode: 'hardlink' },
      counts: {},
      images: 2,
      bytes: 20,
    });
    expect(listExports(db).map((e) => e.id)).toEqual([second.id, second.id - 1]);
    expect(listExports(db)[1]).toEqual({
      id: second.id - 1,
      out: '/o/1',
      options: { out: '/o/1' },
      counts: { a: 1 },
      images: 1,
      bytes: 10,
      at: 'T1',
    });
  });
});
