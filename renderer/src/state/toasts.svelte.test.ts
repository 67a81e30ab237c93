// Toasts: information goes by itself, errors stay until dismissed, and the corner never holds more than five.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/shared/errors.js';
import { handleError } from './handle-error.js';
import { toasts } from './toasts.svelte.js';

beforeEach(() => {
  vi.useFakeTimers();
  toasts.items = [];
});
afterEach(() => vi.useRealTimers());

describe('toasts', () => {
  it('lets information go after four seconds and keeps an error until it is dismissed', () => {
    toasts.push('info', 'saved');
    const error = toasts.push('error', 'failed');
    vi.advanceTimersByTime(3999);
    expect(toasts.items.map((t) => t.text)).toEqual(['saved', 'failed']);
    vi.advanceTimersByTime(1);
    expect(toasts.items.map((t) => t.text)).toEqual(['failed']);
    vi.advanceTimersByTime(60_000);
    expect(toasts.items.map((t) => t.text)).toEqual(['failed']);
    toasts.dismiss(error);
    expect(toasts.items).toEqual([]);
  });

  it('keeps the five latest', () => {
    for (let i = 1; i <= 7; i++) toasts.push('error', `e${i}`);
    expect(toasts.items.map((t) => t.text)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
  });
});

describe('handleError', () => {
  it("shows an expected error's message after what failed, without logging it as a bug", () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    handleError(new AppError('not-found', 'no such run'), 'Could not open the run');
    expect(toasts.items.at(-1)).toMatchObject({ kind: 'error', text: 'Could not open the run: no such run' });
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });

  it('logs a bug as well as showing it, whatever was thrown', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    handleError('boom', 'Could not sort');
    expect(toasts.items.at(-1)?.text).toBe('Could not sort: boom');
    expect(log).toHaveBeenCalledWith('Could not sort', 'boom');
    log.mockRestore();
  });
});
