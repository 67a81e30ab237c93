// Which runtime extracts features. Training keeps the tfjs backend the engine selected; extraction (and so
// scoring's features) runs on the fastest runtime that loads, in this order:
//   tensorflow-gpu (a CUDA GPU) -> onnxruntime (CPU execution provider) -> tensorflow -> wasm -> cpu.
// ONNX Runtime is used for backbones with an ONNX conversion (the bundled mobilenet_v2); its WebGPU provider is
// only ever tried when forced (--backend onnxruntime-webgpu). Every extraction records what ran and why each
// faster runtime was skipped.
import { AppError } from '../../shared/errors.js';
import type { BackendChoice, BackendName, OnnxBackendName } from '../types.js';
import { isOnnxBackendName } from './select-backend.js';

export const EXTRACTION_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'onnxruntime', 'tensorflow', 'wasm', 'cpu'];

/** What to do before extraction: try an ONNX runtime (and which), or record why not. */
export type ExtractionPlan = { onnx: OnnxBackendName; forced: boolean } | { onnx: null; reason?: string };

/** `tfjs` is the engine's tfjs choice; `forced` the --backend name, if any; `convertible` whether the backbone
 * has an ONNX conversion (null) or why not. */
export function planExtraction(
  tfjs: BackendChoice,
  forced: string | undefined,
  convertible: string | null,
): ExtractionPlan {
  if (forced !== undefined && isOnnxBackendName(forced)) {
    if (convertible !== null)
      throw new AppError('invalid-argument', `backend "${forced}" is not available: ${convertible}`);
    return { onnx: forced, forced: true };
  }
  if (forced !== undefined) {
    const faster = EXTRACTION_ORDER.indexOf(forced as BackendName) > EXTRACTION_ORDER.indexOf('onnxruntime');
    return faster ? { onnx: null, reason: `not tried (--backend ${forced})` } : { onnx: null };
  }
  if (tfjs.name === 'tensorflow-gpu') return { onnx: null };
  if (convertible !== null) return { onnx: null, reason: convertible };
  return { onnx: 'onnxruntime', forced: false };
}

/** The choice recorded for an extraction that ran on ONNX Runtime. */
export function onnxChoice(tfjs: BackendChoice, name: OnnxBackendName, forced: boolean): BackendChoice {
  const gpu = forced ? `not tried (--backend ${name})` : tfjs.skipped['tensorflow-gpu'];
  return { name, skipped: gpu !== undefined ? { 'tensorflow-gpu': gpu } : {}, trainsConvolutions: false };
}

/** The tfjs choice with the reason ONNX Runtime did not run (when it would have been faster). */
export function tfjsChoiceAfter(tfjs: BackendChoice, reason: string | undefined): BackendChoice {
  return reason === undefined ? tfjs : { ...tfjs, skipped: { ...tfjs.skipped, onnxruntime: reason } };
}
