// The duplicate search's matrix products run on TensorFlow.js: its wasm SIMD kernels multiply about ten times
// faster than a JavaScript loop or usearch's brute force here (measured: 12 GMAC/s against 1-2). A thread that has
// no backend yet gets wasm; one that already has a backend (the engine process) keeps it.
import * as tf from '@tensorflow/tfjs';
import { loadWasm } from '../backends/wasm-backend.js';

let ready: Promise<string> | undefined;

/** The active backend's name once one is ready: wasm where it loads, else the plain CPU backend. */
export function ensureTensorBackend(): Promise<string> {
  ready ??= (async () => {
    const current = tf.engine().backendName;
    if (current === 'wasm' || current === 'tensorflow' || current === 'tensorflow-gpu') return current;
    if ((await loadWasm()) === null) return 'wasm';
    await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  })();
  return ready;
}
