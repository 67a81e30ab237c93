// `settings`: per-project preferences (the reviewer's name, the theme). The values were checked where they
// entered (shared/validate.ts); without an open project the defaults answer.
import { getSetting, setSetting } from '../db/index.js';
import type { SettingsService } from '../shared/api.js';
import type { Settings } from '../shared/dto.js';
import type { ServiceContext } from './context.js';

export function createSettingsService(ctx: ServiceContext): SettingsService {
  const get = async (): Promise<Settings> => {
    const p = ctx.project;
    return {
      reviewer: p ? getSetting<string | null>(p.db, 'reviewer', null) : null,
      theme: p ? getSetting<Settings['theme']>(p.db, 'theme', 'system') : 'system',
    };
  };
  return {
    get,
    async set(patch) {
      const p = ctx.current();
      // null forgets the name: the next decision asks for one again.
      if (patch.reviewer !== undefined) setSetting(p.db, 'reviewer', patch.reviewer ?? undefined);
      if (patch.theme !== undefined) setSetting(p.db, 'theme', patch.theme);
      return get();
    },
  };
}
