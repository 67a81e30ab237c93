// Fixtures for tests in and outside src/db (services, reliability): small projects built through the real
// repositories, so they stay valid as the schema moves on.
import type { ErrorCode, Role } from '../shared/dto.js';
import { openDatabase, type Db } from './connection.js';
import { beginScan, addSource } from './sources-repo.js';
import { upsertScanned, type ScannedFile } from './images-repo.js';
import { initMeta } from './settings-repo.js';
import { createRun, finishRun, setCurrentRun, writeResults, type RunImageResult } from './runs-repo.js';

/** A migrated in-memory project with its identity row. */
export function memoryProject(name = 'test'): Db {
  const db = openDatabase(':memory:');
  initMeta(db, name, '2024-01-01T00:00:00.000Z');
  return db;
}

export function scannedFile(relPath: string, extra: Partial<ScannedFile> = {}): ScannedFile {
  const slash = relPath.indexOf('/');
  return {
    relPath,
    size: 1000,
    mtimeMs: 1_700_000_000_000,
    sha256: `sha-${relPath}`,
    width: 32,
    height: 32,
    format: 'png',
    class: slash > 0 ? relPath.slice(0, slash) : null,
    status: 'ok',
    errorCode: null,
    errorMessage: null,
    ...extra,
  };
}

export function errorFile(relPath: string, code: ErrorCode): ScannedFile {
  return scannedFile(relPath, {
    sha256: null,
    width: null,
    height: null,
    format: null,
    status: 'error',
    errorCode: code,
    errorMessage: code,
  });
}

/** Adds a source and one scan of the given files; returns the source id and image ids in input order. */
export function addScannedSource(
  db: Db,
  path: string,
  role: Role,
  files: ScannedFile[],
): { sourceId: number; ids: number[] } {
  const source = addSource(db, path, role);
  const gen = beginScan(db, source.id);
  const ids = upsertScanned(
    db,
    source.id,
    gen,
    files.map((f) => (role === 'inbox' ? { ...f, class: null } : f)),
  );
  return { sourceId: source.id, ids };
}

/** A finished, current run with the given per-image results. Flags follow `thresholds` on the default scorer. */
export function finishedRun(
  db: Db,
  results: RunImageResult[],
  options: { defaultScorer?: string; scorers?: string[]; thresholds?: Record<string, number> } = {},
): number {
  const run = createRun(db, { backbone: 'test', backend: 'cpu', seed: 1, config: {} });
  writeResults(db, run.id, results);
  finishRun(db, run.id, {
    metrics: {},
    thresholds: options.thresholds ?? {},
    defaultScorer: options.defaultScorer ?? 'ssod',
    scorers: options.scorers ?? ['ssod', 'msp'],
    classes: [],
    lossCurve: [],
    snapshot: { images: results.length, decisions: 0 },
    modelPath: null,
  });
  setCurrentRun(db, run.id);
  return run.id;
}
