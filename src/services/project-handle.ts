// A project is a folder: project.db plus cache/ (thumbnails, features) and models/. This module creates and
// opens one; everything else receives the open handle.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { getMeta, initMeta, openDatabase, schemaVersion, type Db } from '../db/index.js';
import type { ProjectInfo } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';

export const PROJECT_DB = 'project.db';

export interface ProjectHandle {
  path: string;
  db: Db;
  cacheDir: string;
  thumbDir: string;
  featuresDir: string;
  modelsDir: string;
  info(): ProjectInfo;
  close(): void;
}

function layout(path: string, db: Db): ProjectHandle {
  const cacheDir = join(path, 'cache');
  const handle: ProjectHandle = {
    path,
    db,
    cacheDir,
    thumbDir: join(cacheDir, 'thumbs'),
    featuresDir: join(cacheDir, 'features'),
    modelsDir: join(path, 'models'),
    info() {
      const meta = getMeta(db);
      return {
        path,
        name: meta?.name ?? basename(path),
        schemaVersion: schemaVersion(db),
        createdAt: meta?.createdAt ?? '',
      };
    },
    close() {
      if (db.open) db.close();
    },
  };
  for (const dir of [handle.cacheDir, handle.thumbDir, handle.featuresDir, handle.modelsDir]) {
    mkdirSync(dir, { recursive: true });
  }
  return handle;
}

export function isProjectFolder(path: string): boolean {
  return existsSync(join(path, PROJECT_DB));
}

/**
 * mkdir -p one level at a time: Node's recursive mkdir spins forever on some special filesystems (a path
 * under /proc), which would hang the app on a bad path instead of refusing it.
 */
function makeFolders(path: string): void {
  const missing: string[] = [];
  let at = path;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing) mkdirSync(dir);
}

export function createProject(dir: string, name?: string): ProjectHandle {
  const path = resolve(dir);
  if (isProjectFolder(path)) throw new AppError('already-exists', `a project already exists at ${path}`);
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new AppError('already-exists', `not a folder: ${path}`);
    if (readdirSync(path).length > 0) {
      throw new AppError('already-exists', `folder is not empty and not a project: ${path}`);
    }
  }
  try {
    makeFolders(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError(
      'refused',
      `cannot create the project folder ${path} (${code}); choose a folder you can write to`,
      {
        cause: error,
      },
    );
  }
  const db = openDatabase(join(path, PROJECT_DB));
  try {
    initMeta(db, name ?? basename(path));
  } catch (error) {
    db.close();
    throw error;
  }
  return layout(path, db);
}

export function openProject(dir: string): ProjectHandle {
  const path = resolve(dir);
  if (!existsSync(path)) throw new AppError('not-found', `no such folder: ${path}`);
  if (!isProjectFolder(path)) {
    throw new AppError(
      'not-a-project',
      `not an SSOD Audit project (no ${PROJECT_DB}): ${path}; create one with 'ssod init'`,
    );
  }
  const db = openDatabase(join(path, PROJECT_DB));
  return layout(path, db);
}
