// Settings: the reviewer's name is asked for only when a decision needs it, and every decision waiting for it
// goes ahead once it is saved (or is released when the dialog closes without one).
import { beforeAll, describe, expect, it } from 'vitest';
import { installFakeBackend } from '../dev/test-backend.js';
import { settings } from './settings.svelte.js';
import { toasts } from './toasts.svelte.js';
import { ui } from './ui.svelte.js';

beforeAll(async () => {
  installFakeBackend({ images: 20 });
  await settings.load();
});

describe('settings state', () => {
  it('asks for the name once for every waiting decision, and releases them all with null on decline', async () => {
    expect(settings.reviewer).toBeNull();
    const a = settings.ensureReviewer();
    const b = settings.ensureReviewer();
    expect(ui.dialog).toBe('reviewer');
    settings.declineReviewer();
    expect(await Promise.all([a, b])).toEqual([null, null]);
  });

  it('lets the waiting decisions go ahead with the saved name, and asks no more after that', async () => {
    const waiting = settings.ensureReviewer();
    await settings.saveOrThrow({ reviewer: 'Ada' });
    expect(await waiting).toBe('Ada');
    ui.close();
    expect(await settings.ensureReviewer()).toBe('Ada');
    expect(ui.dialog).toBeNull();
  });

  it('refuses a name the services refuse, with their message in a toast and the old name kept', async () => {
    toasts.items = [];
    expect(await settings.save({ reviewer: 'x'.repeat(101) })).toBe(false);
    expect(settings.reviewer).toBe('Ada');
    expect(toasts.items.at(-1)?.text).toMatch(/^Could not save settings: /);
  });
});
