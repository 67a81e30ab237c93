import { AppError } from '../../shared/errors.js';

/** Cooperative cancel: call between units of work. */
export function throwIfCancelled(signal: AbortSignal, what = 'job'): void {
  if (signal.aborted) throw new AppError('cancelled', `${what} cancelled`);
}
