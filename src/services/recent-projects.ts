// Recently opened projects, kept in the app's data folder (not in any project). Written atomically.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecentProject } from '../shared/dto.js';

const MAX_RECENT = 20;

export class RecentProjects {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'recent-projects.json');
  }

  list(): RecentProject[] {
    let entries: { path: string; name: string; openedAt: string }[] = [];
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (Array.isArray(parsed)) entries = parsed as typeof entries;
    } catch {
      // Missing or unreadable: no recent projects, never an error.
    }
    return entries
      .filter((e) => typeof e?.path === 'string')
      .map((e) => ({ ...e, exists: existsSync(join(e.path, 'project.db')) }));
  }

  remember(path: string, name: string): void {
    const rest = this.list().filter((e) => e.path !== path);
    const next = [{ path, name, openedAt: new Date().toISOString() }, ...rest.map(({ exists: _e, ...r }) => r)];
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(next.slice(0, MAX_RECENT), null, 1));
      renameSync(tmp, this.file);
    } catch {
      // The recent list is a convenience; a read-only home must not stop the app.
    }
  }
}
