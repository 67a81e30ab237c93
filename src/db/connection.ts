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
// 64 MiB of cache plus memory-mapped reads keep a grid page at a few milliseconds. (Mapped pages a query touches
// count in the process's resident size, as shared file pages the kernel may drop.)
function applyReadPragmas(db: Db): void {
  db.pragma(`cache_size = -${READ_CACHE_KIB}`);
  db.pragma(`mmap_size = ${READ_MMAP_BYTES}`);
}

const READ_CACHE_KIB = 65536;
const READ_MMAP_BYTES = 1073741824;
/** Page cache while a scan writes: enough for the index pages an insert batch touches. */
export const SCAN_CACHE_KIB = 8192;

/**
 * For the length of a scan: a small page cache and no memory map. A scan touches every page of a growing
 * database once, so the read settings above would make the process's memory grow with the source (64 MiB of
 * cache, then every mapped page: ~470 MiB resident at 600,000 files) while buying nothing; the writes are the
 * same either way. Returns the function that puts the read settings back.
 */
export function useScanPragmas(db: Db): () => void {
  db.pragma(`cache_size = -${SCAN_CACHE_KIB}`);
  db.pragma('mmap_size = 0');
  return () => {
    if (db.open) applyReadPragmas(db);
  };
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
