// Which view and dialog show: going to a view closes any dialog, and a navigate event moves the view.
import { describe, expect, it } from 'vitest';
import { appEvents } from './app-events.js';
import { ui } from './ui.svelte.js';

describe('ui state', () => {
  it('closes the open dialog when going to another view', () => {
    ui.open('export');
    expect(ui.dialog).toBe('export');
    ui.go('runs');
    expect(ui.view).toBe('runs');
    expect(ui.dialog).toBeNull();
  });

  it('follows navigate events from other state', () => {
    ui.go('projects');
    appEvents.emit('navigate', 'review');
    expect(ui.view).toBe('review');
  });
});
