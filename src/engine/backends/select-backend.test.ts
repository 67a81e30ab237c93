import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { isAppError } from '../../shared/errors.js';
import type { BackendName } from '../types.js';
import { describeBackend, parseBackendName, selectBackend } from './select-backend.js';

describe('selectBackend', () => {
  it('falls back to wasm here and says the native backends are not installed', async () => {
    const choice = await selectBackend();
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped).toEqual({ 'tensorflow-gpu': 'not installed', tensorflow: 'not installed' });
    expect(choice.trainsConvolutions).toBe(false);
    expect(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')).toBe(true);
    expect(describeBackend(choice)).toBe('wasm (tensorflow-gpu: not installed; tensorflow: not installed)');
  });

  it('forcing cpu activates cpu', async () => {
    const choice = await selectBackend('cpu');
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.skipped.wasm).toBe('not tried (--backend cpu)');
  });

  it('forcing an unavailable backend is a clear AppError', async () => {
    const error: unknown = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(isAppError(error, 'invalid-argument')).toBe(true);
    expect((error as Error).message).toBe('backend "tensorflow" is not available: not installed');
  });

  it('records every reason and keeps going down the order', async () => {
    const tried: BackendName[] = [];
    const reasons: Partial<Record<BackendName, string>> = {
      'tensorflow-gpu': 'no CUDA',
      tensorflow: 'failed to load: libtensorflow.so: cannot open',
      wasm: 'failed to load: no WebAssembly',
    };
    const choice = await selectBackend(undefined, (name) => {
      tried.push(name);
      return Promise.resolve(reasons[name] ?? null);
    });
    expect(tried).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(choice).toEqual({ name: 'cpu', skipped: reasons, trainsConvolutions: false });
  });

  it('reports native tensorflow as able to train convolutions', async () => {
    const choice = await selectBackend(undefined, (name) => Promise.resolve(name === 'tensorflow' ? null : 'no CUDA'));
    expect(choice).toEqual({ name: 'tensorflow', skipped: { 'tensorflow-gpu': 'no CUDA' }, trainsConvolutions: true });
  });

  it('rejects unknown names', () => {
    expect(() => parseBackendName('webgl')).toThrow(/unknown backend "webgl"/);
  });
});
