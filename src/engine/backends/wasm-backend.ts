// The wasm backend under Node: SIMD, one thread. Its thread pool does not start under Node without hacks and
// collapses when the other core is busy (measured), so parallelism is one worker process per core instead.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Points the backend at the .wasm files in node_modules: its default is to fetch them beside the script. */
export function configureWasm(): void {
  const paths: Record<string, string> = {};
  for (const file of WASM_FILES) paths[file] = require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`);
  setWasmPaths(paths);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

/** Returns null when wasm is active, else the reason it is not. */
export async function loadWasm(): Promise<string | null> {
  try {
    configureWasm();
    const ok = await tf.setBackend('wasm');
    if (!ok) return 'failed to load: tf.setBackend("wasm") returned false';
    await tf.ready();
    return null;
  } catch (error) {
    return `failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function wasmHasSimd(): boolean {
  return tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
}
