// Reviewer name and theme, stored by the services (api.settings) so the CLI and every window agree.
import type { Settings } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { handleError } from './handle-error.js';

class SettingsState {
  reviewer = $state<string | null>(null);
  theme = $state<Settings['theme']>('system');
  loaded = $state(false);

  async load(): Promise<void> {
    try {
      this.apply(await backend().api.settings.get());
    } catch (error) {
      handleError(error, 'Could not load settings');
    }
  }

  async save(patch: Partial<Settings>): Promise<boolean> {
    try {
      this.apply(await backend().api.settings.set(patch));
      return true;
    } catch (error) {
      handleError(error, 'Could not save settings');
      return false;
    }
  }

  private apply(s: Settings): void {
    this.reviewer = s.reviewer;
    this.theme = s.theme;
    this.loaded = true;
    applyTheme(s.theme);
  }
}

export function applyTheme(theme: Settings['theme']): void {
  const dark = theme === 'dark' || (theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export const settings = new SettingsState();
