// Picks the fastest tfjs backend that loads in this process, in a fixed order, and says why each faster one
// was skipped: the status line and every run record repeat it.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import type { BackendChoice, BackendName, OnnxBackendName, TfjsBackendName } from '../types.js';
import { loadNative, nativeUsesGpu } from './native-backends.js';
import { loadWasm } from './wasm-backend.js';

const TFJS_ORDER: readonly TfjsBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
/** The tfjs backends, fastest first (typed wide so any recorded backend name can be looked up in it). */
export const BACKEND_ORDER: readonly BackendName[] = TFJS_ORDER;
/** Every name in the order extraction tries them (the WebGPU provider, never tried unforced, last). */
const DESCRIBE_ORDER: readonly BackendName[] = [
  'tensorflow-gpu',
  'onnxruntime',
  'tensorflow',
  'wasm',
  'cpu',
  'onnxruntime-webgpu',
];
/** Extraction-only runtimes (src/engine/backends/runtime-chain.ts places them in the extraction order). */
export const ONNX_BACKENDS: readonly OnnxBackendName[] = ['onnxruntime', 'onnxruntime-webgpu'];

export function isOnnxBackendName(value: string): value is OnnxBackendName {
  return (ONNX_BACKENDS as readonly string[]).includes(value);
}

export function isTfjsBackendName(value: string): value is TfjsBackendName {
  return (TFJS_ORDER as readonly string[]).includes(value);
}

export function isBackendName(value: string): value is BackendName {
  return isTfjsBackendName(value) || isOnnxBackendName(value);
}

export function parseBackendName(value: string): BackendName {
  if (!isBackendName(value)) {
    const names = [...BACKEND_ORDER, ...ONNX_BACKENDS].join(', ');
    throw new AppError('invalid-argument', `unknown backend "${value}": expected one of ${names}`);
  }
  return value;
}

/** Activates one backend; resolves to null on success or to the reason it cannot run here. */
export type BackendLoader = (name: TfjsBackendName) => Promise<string | null>;

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
export function trainsConvolutions(name: TfjsBackendName): boolean {
  return name === 'tensorflow-gpu' || name === 'tensorflow';
}

/** Tries tfjs backends fastest first (or only `force`), activates the first that loads. Forcing an ONNX Runtime
 * name forces extraction only: the tfjs backend (training) is then chosen as usual. */
export async function selectBackend(
  force?: BackendName,
  loader: BackendLoader = defaultLoader,
): Promise<BackendChoice> {
  const skipped: Partial<Record<BackendName, string>> = {};
  if (force !== undefined && !isOnnxBackendName(parseBackendName(force))) {
    const name = force as TfjsBackendName;
    for (const faster of TFJS_ORDER.slice(0, TFJS_ORDER.indexOf(name))) {
      skipped[faster] = `not tried (--backend ${name})`;
    }
    const reason = await loader(name);
    if (reason !== null) throw new AppError('invalid-argument', `backend "${name}" is not available: ${reason}`);
    return { name, skipped, trainsConvolutions: trainsConvolutions(name) };
  }
  for (const name of TFJS_ORDER) {
    const reason = await loader(name);
    if (reason === null) return { name, skipped, trainsConvolutions: trainsConvolutions(name) };
    skipped[name] = reason;
  }
  // The pure-JS cpu backend ships inside @tensorflow/tfjs: reaching here means the install is broken.
  throw new AppError('engine-failed', `no tfjs backend could be loaded: ${JSON.stringify(skipped)}`);
}

/** One line for status bars and logs, e.g. "wasm (tensorflow-gpu: not installed; tensorflow: not installed)". */
export function describeBackend(choice: BackendChoice): string {
  const reasons = DESCRIBE_ORDER.filter((n) => skipped(choice, n)).map((n) => `${n}: ${choice.skipped[n]}`);
  return reasons.length > 0 ? `${choice.name} (${reasons.join('; ')})` : choice.name;
}

function skipped(choice: BackendChoice, name: BackendName): boolean {
  return choice.skipped[name] !== undefined;
}
