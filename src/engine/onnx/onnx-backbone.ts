// A Backbone that runs a converted model on ONNX Runtime (CPU execution provider by default). It carries the
// identity, key and layout of the tfjs backbone it was converted from and verified against, so both runtimes
// share one feature cache: the features are the same to 1e-4 (tested), far below float16 storage precision.
import { AppError } from '../../shared/errors.js';
import type { Backbone, FeatureLayout, PreprocessSpec } from '../types.js';
import { loadOrt, ortVersion, sessionOptions, type OrtModule, type OrtProvider, type OrtSession } from './ort.js';
import { INPUT_NAME } from './convert.js';

export const MAP_OUTPUT = 'map';
export const POOLED_OUTPUT = 'pooled';

/** Everything a worker needs to open the converted model (structured-clone-able). */
export interface OnnxBackboneSpec {
  modelPath: string;
  provider: OrtProvider;
  /** Intra-op threads of this session. */
  threads: number;
  key: string;
  identity: Record<string, string>;
  preprocess: PreprocessSpec;
  layout: FeatureLayout;
}

export type OnnxBackbone = Backbone & {
  /** Runs the session with `threads` already set; exposed for batch measurement. */
  readonly session: OrtSession;
};

async function requireOrt(): Promise<OrtModule> {
  const ort = await loadOrt();
  if (typeof ort === 'string') throw new AppError('engine-failed', `onnxruntime-node: ${ort}`);
  return ort;
}

function checkOutput(data: unknown, expected: number, name: string): Float32Array {
  if (!(data instanceof Float32Array) || data.length !== expected) {
    const got = data instanceof Float32Array ? data.length : typeof data;
    throw new AppError('engine-failed', `ONNX model output ${name}: expected ${expected} floats, got ${got}`);
  }
  return data;
}

/** Opens the model; throws (AppError 'engine-failed') when the runtime or the file cannot be loaded. */
export async function loadOnnxBackbone(spec: OnnxBackboneSpec): Promise<OnnxBackbone> {
  const ort = await requireOrt();
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(spec.modelPath, sessionOptions(spec.provider, spec.threads));
  } catch (e) {
    throw new AppError('engine-failed', `cannot open ${spec.modelPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { size } = spec.preprocess;
  const mapN = spec.layout.mapH * spec.layout.mapW * spec.layout.mapC;
  const extract = async (pixels: Float32Array, n: number): Promise<{ maps: Float32Array; pooled: Float32Array }> => {
    if (!Number.isInteger(n) || n < 1 || pixels.length !== n * size * size * 3) {
      throw new AppError('invalid-argument', `expected ${n} x ${size} x ${size} x 3 floats`);
    }
    // The tensor wraps `pixels` (no copy); the outputs are fresh arrays owned by this call.
    const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', pixels, [n, size, size, 3]) });
    return {
      maps: checkOutput(out[MAP_OUTPUT]?.data, n * mapN, MAP_OUTPUT),
      pooled: checkOutput(out[POOLED_OUTPUT]?.data, n * spec.layout.pooledC, POOLED_OUTPUT),
    };
  };
  return {
    key: spec.key,
    identity: { ...spec.identity, runtime: `onnxruntime-node@${ortVersion(ort)}`, provider: spec.provider },
    preprocess: spec.preprocess,
    layout: spec.layout,
    session,
    extract,
    dispose: () => void session.release().catch(() => undefined),
  };
}

/** Per-image milliseconds of a forward pass at each batch size (best of `reps`), on a neutral input. */
export async function timeBatches(
  backbone: Backbone,
  sizes: readonly number[],
  reps = 2,
): Promise<{ batch: number; msPerImage: number }[]> {
  const per = backbone.preprocess.size ** 2 * 3;
  const results: { batch: number; msPerImage: number }[] = [];
  for (const batch of sizes) {
    const pixels = new Float32Array(batch * per).fill(0.5);
    await backbone.extract(pixels, batch); // warm-up: first runs allocate
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await backbone.extract(pixels, batch);
      best = Math.min(best, (performance.now() - t0) / batch);
    }
    results.push({ batch, msPerImage: best });
  }
  return results;
}

/** The batch to run: the fastest per image, preferring the larger of two within 5% (fewer calls, same speed). */
export function pickBatch(timings: readonly { batch: number; msPerImage: number }[]): number {
  const best = Math.min(...timings.map((t) => t.msPerImage));
  const close = timings.filter((t) => t.msPerImage <= best * 1.05);
  return Math.max(...close.map((t) => t.batch), 1);
}
