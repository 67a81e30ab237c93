// Where end-to-end training may run. Kept free of tfjs so the caller's process (services) can give the same
// refusal up front, before anything is extracted or recorded.
import { AppError } from '../../shared/errors.js';
import type { BackendChoice } from '../types.js';

/** End-to-end training needs convolution gradients: wasm has no Conv2DBackpropFilter kernel at all, and the
 * pure-JS cpu backend takes seconds per step, so cpu runs only when the user forced it. */
export function assertEndToEndAllowed(backend: Pick<BackendChoice, 'name'>, forced: boolean): void {
  if (backend.name === 'wasm') {
    throw new AppError(
      'refused',
      'end-to-end mode needs convolution gradients: wasm cannot train convolutions (no Conv2DBackpropFilter). ' +
        'Use heads mode, or install @tensorflow/tfjs-node',
    );
  }
  if (backend.name === 'cpu' && !forced) {
    throw new AppError(
      'refused',
      'end-to-end mode on the pure-JS cpu backend is very slow; pass --backend cpu to force it, or install @tensorflow/tfjs-node',
    );
  }
}
