// Opening a project database: pragmas chosen for durability of review work, version checks before any write.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AppError } from '../shared/errors.js';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Create the file when it does not exist (default true). With false a missing or foreign file is refused. */
  create?: boolean;
  /** Migrate only up to this version (upgrade fixtures in tests). Default: latest. */
  toVersion?: number;
}

/** Opens (and migrates) a project database. Refuses files that are not SQLite, not ours, or from a newer app. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const create = options.create ?? true;
  const inMemory = file === ':memory:' || file === '';
  if (!create && !inMemory && !existsSync(file)) {
    throw new AppError('not-a-project', `no project database at ${file}`);
  }
  const db = new Database(file, { fileMustExist: !create });
  try {
    // Wait for a concurrent writer (the CLI while the app runs) instead of failing with SQLITE_BUSY at once.
    db.pragma('busy_timeout = 5000');
    const version = readVersion(db, file);
    refuseNewer(version, file);
    if (!create && version === 0 && hasTables(db)) {
      throw new AppError('not-a-project', `${file} is an SQLite database but not an SSOD Audit project`);
    }
    if (!inMemory) db.pragma('journal_mode = WAL');
    // FULL: a decision acknowledged to the reviewer must survive power loss, not only a process crash.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    applyReadPragmas(db);
    migrate(db, options.toVersion);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A read-only connection for checkers and reports. The schema must already be current. */
export function openReadonly(file: string): Db {
  if (!existsSync(file)) throw new AppError('not-a-project', `no project database at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    applyReadPragmas(db);
    const version = readVersion(db, file);
    refuseNewer(version, file);
    if (version < LATEST_VERSION) {
      throw new AppError(
        'refused',
        `${file} has schema version ${version} and needs migrating to ${LATEST_VERSION}; open it read-write once`,
      );
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

// The default 2 MiB page cache makes random lookups over a million-image project hit the OS for every page;
// 64 MiB of cache plus memory-mapped reads keep a grid page at a few milliseconds (address space, not RSS).
function applyReadPragmas(db: Db): void {
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 1073741824');
}

function readVersion(db: Db, file: string): number {
  try {
    return schemaVersion(db);
  } catch (error) {
    // SQLITE_NOTADB and friends: the path exists but holds something else.
    throw new AppError('not-a-project', `${file} is not a project database: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function refuseNewer(version: number, file: string): void {
  if (version > LATEST_VERSION) {
    throw new AppError(
      'schema-too-new',
      `${file} has schema version ${version}, but this version of SSOD Audit knows only up to ${LATEST_VERSION}; ` +
        'update the app to open it',
    );
  }
}

function hasTables(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").get() !== undefined;
}

/**
 * Refreshes the planner's statistics where they went stale. Call after a scan or a run wrote many rows: the
 * choice between walking the score index and filtering first (rare classes, errors) depends on them.
 */
export function optimize(db: Db): void {
  db.pragma('optimize=0x10002');
}

/** Optimizes, checkpoints the WAL into the main file and closes. */
export function closeDatabase(db: Db): void {
  if (!db.open) return;
  try {
    if (!db.readonly) {
      db.pragma('optimize');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  } finally {
    db.close();
  }
}
