import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import type { BackendChoice } from '../types.js';
import { onnxChoice, planExtraction, tfjsChoiceAfter } from './runtime-chain.js';
import { describeBackend, parseBackendName, selectBackend } from './select-backend.js';

const wasm: BackendChoice = {
  name: 'wasm',
  skipped: { 'tensorflow-gpu': 'not installed', tensorflow: 'not installed' },
  trainsConvolutions: false,
};
const gpu: BackendChoice = { name: 'tensorflow-gpu', skipped: {}, trainsConvolutions: true };

describe('the extraction runtime chain', () => {
  it('puts ONNX Runtime after a GPU and before every other tfjs backend', () => {
    expect(planExtraction(wasm, undefined, null)).toEqual({ onnx: 'onnxruntime', forced: false });
    expect(planExtraction(gpu, undefined, null)).toEqual({ onnx: null });
  });

  it('records why ONNX Runtime was not tried', () => {
    expect(planExtraction(wasm, undefined, 'no ONNX conversion for small-cnn')).toEqual({
      onnx: null,
      reason: 'no ONNX conversion for small-cnn',
    });
    expect(planExtraction(wasm, 'wasm', null)).toEqual({ onnx: null, reason: 'not tried (--backend wasm)' });
    expect(planExtraction(gpu, 'tensorflow-gpu', null)).toEqual({ onnx: null });
  });

  it('forcing an ONNX runtime that cannot run is a clear error', () => {
    expect(planExtraction(wasm, 'onnxruntime-webgpu', null)).toEqual({ onnx: 'onnxruntime-webgpu', forced: true });
    let error: unknown;
    try {
      planExtraction(wasm, 'onnxruntime', 'no ONNX conversion for small-cnn');
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'invalid-argument')).toBe(true);
    expect((error as Error).message).toBe('backend "onnxruntime" is not available: no ONNX conversion for small-cnn');
  });

  it('records the runtime that ran and every faster one skipped', () => {
    const ran = onnxChoice(wasm, 'onnxruntime', false);
    expect(ran).toEqual({
      name: 'onnxruntime',
      skipped: { 'tensorflow-gpu': 'not installed' },
      trainsConvolutions: false,
    });
    expect(describeBackend(ran)).toBe('onnxruntime (tensorflow-gpu: not installed)');
    const fell = tfjsChoiceAfter(wasm, 'not installed');
    expect(describeBackend(fell)).toBe(
      'wasm (tensorflow-gpu: not installed; onnxruntime: not installed; tensorflow: not installed)',
    );
    expect(onnxChoice(wasm, 'onnxruntime-webgpu', true).skipped).toEqual({
      'tensorflow-gpu': 'not tried (--backend onnxruntime-webgpu)',
    });
  });

  it('an ONNX name forces extraction only: training keeps the fastest tfjs backend', async () => {
    expect(parseBackendName('onnxruntime')).toBe('onnxruntime');
    const choice = await selectBackend('onnxruntime', (name) => Promise.resolve(name === 'wasm' ? null : 'no'));
    expect(choice.name).toBe('wasm');
  });
});
