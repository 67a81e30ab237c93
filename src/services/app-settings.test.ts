import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import { readAppSettings, SETTINGS_FILE, writeAppSettings } from './app-settings.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'ssod-settings-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('app settings', () => {
  it('start empty, are saved for the next start, and merge patches', () => {
    const dir = join(fresh(), 'not-yet-created');
    expect(readAppSettings(dir)).toEqual({ reviewer: null, theme: 'system' });
    expect(writeAppSettings(dir, { reviewer: '  Ana  ' })).toEqual({ reviewer: 'Ana', theme: 'system' });
    writeAppSettings(dir, { theme: 'dark' });
    expect(readAppSettings(dir)).toEqual({ reviewer: 'Ana', theme: 'dark' });
    expect(writeAppSettings(dir, { reviewer: null })).toEqual({ reviewer: null, theme: 'dark' });
  });

  it('read a damaged file as the defaults', () => {
    const dir = fresh();
    writeFileSync(join(dir, SETTINGS_FILE), '{ not json');
    expect(readAppSettings(dir)).toEqual({ reviewer: null, theme: 'system' });
    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ reviewer: 42, theme: 'neon' }));
    expect(readAppSettings(dir)).toEqual({ reviewer: null, theme: 'system' });
  });

  it('refuse with the reason when the folder cannot be written', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'x');
    chmodSync(join(dir, 'file'), 0o444);
    let error: unknown;
    try {
      writeAppSettings(join(dir, 'file', 'below-a-file'), { reviewer: 'Ana' });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'refused')).toBe(true);
    expect(String(error)).toMatch(/cannot save settings/);
  });
});
