// The one place user-facing failures go: expected errors (AppError) show their message; bugs are logged too.
import { isAppError } from '../../../src/shared/errors.js';
import { toasts } from './toasts.svelte.js';

export function handleError(error: unknown, message: string): void {
  const detail = error instanceof Error ? error.message : String(error);
  if (!isAppError(error)) console.error(message, error);
  toasts.push('error', `${message}: ${detail}`);
}

/** Run a promise for its side effects, reporting failure instead of leaving it floating. */
export function attempt(promise: Promise<unknown>, message: string): void {
  promise.catch((error: unknown) => handleError(error, message));
}
