// Reviewer name and theme: settings of the person, stored by the services (api.settings) so the CLI and every
// window agree. The reviewer's name is asked for when it is first needed (the first decision), never at start.
import type { Settings } from '../../../src/shared/dto.js';
import { backend } from '../lib/backend.js';
import { appEvents } from './app-events.js';
import { handleError } from './handle-error.js';
import { ui } from './ui.svelte.js';

class SettingsState {
  reviewer = $state<string | null>(null);
  theme = $state<Settings['theme']>('system');
  loaded = $state(false);
  private waiting: ((name: string | null) => void)[] = [];

  constructor() {
    // Settings written in another window or by the command line show up once a project is (re)opened.
    appEvents.on('project.opened', () => void this.load());
  }

  async load(): Promise<void> {
    try {
      this.apply(await backend().api.settings.get());
    } catch (error) {
      handleError(error, 'Could not load settings');
    }
  }

  /** Saves, or throws the services' error (the reviewer dialog shows it in place). */
  async saveOrThrow(patch: Partial<Settings>): Promise<void> {
    this.apply(await backend().api.settings.set(patch));
    if (this.reviewer) this.settle(this.reviewer);
  }

  async save(patch: Partial<Settings>): Promise<boolean> {
    try {
      await this.saveOrThrow(patch);
      return true;
    } catch (error) {
      handleError(error, 'Could not save settings');
      return false;
    }
  }

  /** The reviewer's name; asks for it (the reviewer dialog) when none is set. Null if the person declines. */
  ensureReviewer(): Promise<string | null> {
    if (this.reviewer) return Promise.resolve(this.reviewer);
    const answer = new Promise<string | null>((resolve) => this.waiting.push(resolve));
    ui.open('reviewer');
    return answer;
  }

  /** The reviewer dialog closed without a name. */
  declineReviewer(): void {
    this.settle(null);
  }

  private settle(name: string | null): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(name);
  }

  private apply(s: Settings): void {
    this.reviewer = s.reviewer;
    this.theme = s.theme;
    this.loaded = true;
    applyTheme(s.theme);
  }
}

export function applyTheme(theme: Settings['theme']): void {
  if (typeof document === 'undefined') return; // unit tests run the state classes without a page
  const prefersDark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
  const dark = theme === 'dark' || (theme === 'system' && prefersDark);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export const settings = new SettingsState();
