// Picks the fastest tfjs backend that loads in this process, in a fixed order, and says why each faster one
// was skipped: the status line and every run record repeat it.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { BackendChoice, BackendName } from '../types.js';
import { loadNative, nativeUsesGpu } from './native-backends.js';
import { loadWasm } from './wasm-backend.js';

/** Fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

export function parseBackendName(value: string): BackendName {
  if (!isBackendName(value)) {
    throw new AppError('invalid-argument', `unknown backend "${value}": expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  return value;
}

/** Activates one backend; resolves to null on success or to the reason it cannot run here. */
export type BackendLoader = (name: BackendName) => Promise<string | null>;

async function activate(tfName: string): Promise<string | null> {
  try {
    if (!(await tf.setBackend(tfName))) return `failed to load: tf.setBackend("${tfName}") returned false`;
    await tf.ready();
    return null;
  } catch (error) {
    return `failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export const defaultLoader: BackendLoader = async (name) => {
  switch (name) {
    case 'tensorflow-gpu': {
      const reason = (await loadNative('@tensorflow/tfjs-node-gpu')) ?? (await activate('tensorflow'));
      if (reason !== null) return reason;
      return nativeUsesGpu(tf.backend()) ? null : 'no CUDA (libtensorflow found no GPU device)';
    }
    case 'tensorflow':
      // The GPU package registers the same 'tensorflow' backend; it may already be loaded (without a GPU).
      if (tf.findBackend('tensorflow') !== null) return activate('tensorflow');
      return (await loadNative('@tensorflow/tfjs-node')) ?? (await activate('tensorflow'));
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return activate('cpu');
  }
};

/** Convolution gradients at a useful speed: only native TensorFlow (wasm has no Conv2DBackpropFilter; the
 * pure-JS cpu backend takes seconds per step of a tiny CNN). */
export function trainsConvolutions(name: BackendName): boolean {
  return name === 'tensorflow-gpu' || name === 'tensorflow';
}

/** Tries backends fastest first (or only `force`), activates the first that loads. */
export async function selectBackend(
  force?: BackendName,
  loader: BackendLoader = defaultLoader,
): Promise<BackendChoice> {
  const skipped: Partial<Record<BackendName, string>> = {};
  if (force !== undefined) {
    const name = parseBackendName(force);
    for (const faster of BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(name))) {
      skipped[faster] = `not tried (--backend ${name})`;
    }
    const reason = await loader(name);
    if (reason !== null) throw new AppError('invalid-argument', `backend "${name}" is not available: ${reason}`);
    return { name, skipped, trainsConvolutions: trainsConvolutions(name) };
  }
  for (const name of BACKEND_ORDER) {
    const reason = await loader(name);
    if (reason === null) return { name, skipped, trainsConvolutions: trainsConvolutions(name) };
    skipped[name] = reason;
  }
  // The pure-JS cpu backend ships inside @tensorflow/tfjs: reaching here means the install is broken.
  throw new AppError('engine-failed', `no tfjs backend could be loaded: ${JSON.stringify(skipped)}`);
}

/** One line for status bars and logs, e.g. "wasm (tensorflow-gpu: not installed; tensorflow: not installed)". */
export function describeBackend(choice: BackendChoice): string {
  const reasons = BACKEND_ORDER.filter((n) => skipped(choice, n)).map((n) => `${n}: ${choice.skipped[n]}`);
  return reasons.length > 0 ? `${choice.name} (${reasons.join('; ')})` : choice.name;
}

function skipped(choice: BackendChoice, name: BackendName): boolean {
  return choice.skipped[name] !== undefined;
}
