// `settings`: the person's preferences (the reviewer's name, the theme), app-wide in the app's data folder
// (app-settings.ts), so they work before any project is open and follow the person between projects. The
// values were checked where they entered (shared/validate.ts).
import type { SettingsService } from '../shared/api.js';
import { readAppSettings, writeAppSettings } from './app-settings.js';
import type { ServiceContext } from './context.js';

export function createSettingsService(ctx: ServiceContext): SettingsService {
  return {
    async get() {
      return readAppSettings(ctx.dataDir);
    },
    async set(patch) {
      // null forgets the name: the next decision asks for one again.
      return writeAppSettings(ctx.dataDir, patch);
    },
  };
}
