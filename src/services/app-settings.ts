// The person's settings (reviewer name, theme) live in the app's data folder, not in a project: they exist
// before any project does, follow the person from project to project, and the command line reads the same
// file. Values were checked where they entered (shared/validate.ts); a missing or unreadable file reads as
// the defaults, and a file that cannot be written is refused with the reason.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';

export const SETTINGS_FILE = 'settings.json';
const DEFAULTS: Settings = { reviewer: null, theme: 'system' };
const THEMES: readonly Settings['theme'][] = ['light', 'dark', 'system'];

function fromJson(value: unknown): Settings {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const reviewer = typeof v.reviewer === 'string' && v.reviewer.trim() ? v.reviewer.trim() : null;
  const theme = THEMES.includes(v.theme as Settings['theme']) ? (v.theme as Settings['theme']) : DEFAULTS.theme;
  return { reviewer, theme };
}

export function readAppSettings(dataDir: string): Settings {
  try {
    return fromJson(JSON.parse(readFileSync(join(dataDir, SETTINGS_FILE), 'utf8')));
  } catch {
    return { ...DEFAULTS };
  }
}

/** Merge and save atomically (a crash mid-write leaves the old file). `reviewer: null` forgets the name. */
export function writeAppSettings(dataDir: string, patch: Partial<Settings>): Settings {
  const current = readAppSettings(dataDir);
  const next: Settings = {
    reviewer: patch.reviewer === undefined ? current.reviewer : patch.reviewer?.trim() || null,
    theme: patch.theme ?? current.theme,
  };
  const file = join(dataDir, SETTINGS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(next, null, 1)}\n`);
    renameSync(tmp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('refused', `cannot save settings in ${dataDir} (${code}); check that the folder is writable`, {
      cause: error,
    });
  }
  return next;
}
