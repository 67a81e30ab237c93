// `sources`: the folders a project reads. A source is registered here and read by the scan job; it may not lie
// inside the project, contain it, or overlap another source (one file, one image).
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { addSource, findSourceByPath, listSources } from '../db/index.js';
import type { SourceService } from '../shared/api.js';
import type { Role, SourceInfo } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import type { ServiceContext } from './context.js';
import type { ProjectHandle } from './project-handle.js';

export function createSourceService(ctx: ServiceContext): SourceService {
  return {
    async list() {
      return listSources(ctx.current().db);
    },
    async add(folder, role) {
      return addChecked(ctx.current(), realOrResolved(folder), role);
    },
  };
}

function addChecked(p: ProjectHandle, abs: string, role: Role): SourceInfo {
  if (!existsSync(abs)) throw new AppError('not-found', `no such folder: ${abs}`);
  const projectReal = realOrResolved(p.path);
  if (isInside(abs, projectReal)) throw new AppError('refused', `a source cannot be inside the project folder: ${abs}`);
  if (isInside(projectReal, abs)) {
    throw new AppError('refused', `the project folder lies inside ${abs}; keep projects outside source folders`);
  }
  const existing = findSourceByPath(p.db, abs);
  if (existing) return existing;
  for (const s of listSources(p.db)) {
    if (isInside(abs, s.path) || isInside(s.path, abs)) {
      throw new AppError('refused', `${abs} overlaps the existing source ${s.path}`);
    }
  }
  return addSource(p.db, abs, role);
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
