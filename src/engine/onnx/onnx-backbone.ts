// A Backbone that runs a converted model on ONNX Runtime (CPU execution provider by default). It carries the
// identity, key and layout of the tfjs backbone it was converted from and verified against, so both runtimes
// share one feature cache: the features are the same to 1e-4 (tested), far below float16 storage precision.
import { AppError } from '../../shared/errors.js';
import type { Backbone, FeatureLayout, PreprocessSpec } from '../types.js';
import {
  loadOrt,
  ortVersion,
  sessionOptions,
  type OrtModule,
  type OrtProvider,
  type OrtSession,
  type OrtTensor,
} from './ort.js';
import { INPUT_NAME } from './convert.js';

export const MAP_OUTPUT = 'map';
/** The same map as float16 bits, ready for the feature cache. */
export const MAP16_OUTPUT = 'map16';
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
  readonly session: OrtSession;
  /** extract() with the maps as float16 bits (round to nearest even, as encodeFloat16): no encoding pass in JS. */
  extractHalf(pixels: Float32Array, n: number): Promise<{ maps16: Uint16Array; pooled: Float32Array }>;
};

async function requireOrt(): Promise<OrtModule> {
  const ort = await loadOrt();
  if (typeof ort === 'string') throw new AppError('engine-failed', `onnxruntime-node: ${ort}`);
  return ort;
}

function checkOutput<T extends Float32Array | Uint16Array>(
  data: unknown,
  kind: new (n: number) => T,
  expected: number,
  name: string,
): T {
  if (!(data instanceof kind) || data.length !== expected) {
    const got = data instanceof kind ? data.length : typeof data;
    throw new AppError('engine-failed', `ONNX model output ${name}: expected ${expected} values, got ${got}`);
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
  const run = async (pixels: Float32Array, n: number, map: string): Promise<Record<string, OrtTensor>> => {
    if (!Number.isInteger(n) || n < 1 || pixels.length !== n * size * size * 3) {
      throw new AppError('invalid-argument', `expected ${n} x ${size} x ${size} x 3 floats`);
    }
    // The tensor wraps `pixels` (no copy); the outputs are fresh arrays owned by this call.
    const feeds = { [INPUT_NAME]: new ort.Tensor('float32', pixels, [n, size, size, 3]) };
    return session.run(feeds, [map, POOLED_OUTPUT]);
  };
  const pooledOf = (out: Record<string, OrtTensor>, n: number): Float32Array =>
    checkOutput(out[POOLED_OUTPUT]?.data, Float32Array, n * spec.layout.pooledC, POOLED_OUTPUT);
  const extract = async (pixels: Float32Array, n: number): Promise<{ maps: Float32Array; pooled: Float32Array }> => {
    const out = await run(pixels, n, MAP_OUTPUT);
    return { maps: checkOutput(out[MAP_OUTPUT]?.data, Float32Array, n * mapN, MAP_OUTPUT), pooled: pooledOf(out, n) };
  };
  const extractHalf = async (
    pixels: Float32Array,
    n: number,
  ): Promise<{ maps16: Uint16Array; pooled: Float32Array }> => {
    const out = await run(pixels, n, MAP16_OUTPUT);
    return {
      maps16: checkOutput(out[MAP16_OUTPUT]?.data, Uint16Array, n * mapN, MAP16_OUTPUT),
      pooled: pooledOf(out, n),
    };
  };
  return {
    key: spec.key,
    identity: { ...spec.identity, runtime: `onnxruntime-node@${ortVersion(ort)}`, provider: spec.provider },
    preprocess: spec.preprocess,
    layout: spec.layout,
    session,
    extract,
    extractHalf,
    dispose: () => void session.release().catch(() => undefined),
  };
}

/** Per-image milliseconds of a forward pass at each batch size, on a neutral input: the best of `reps` rounds,
 * each round trying every size once, so a burst of load elsewhere hits all sizes alike and the minimum filters it. */
export async function timeBatches(
  backbone: Backbone,
  sizes: readonly number[],
  reps = 4,
): Promise<{ batch: number; msPerImage: number }[]> {
  const per = backbone.preprocess.size ** 2 * 3;
  const inputs = sizes.map((batch) => new Float32Array(batch * per).fill(0.5));
  for (const [i, batch] of sizes.entries()) await backbone.extract(inputs[i] as Float32Array, batch); // warm-up
  const best = sizes.map(() => Infinity);
  for (let r = 0; r < reps; r++) {
    for (const [i, batch] of sizes.entries()) {
      const t0 = performance.now();
      await backbone.extract(inputs[i] as Float32Array, batch);
      best[i] = Math.min(best[i] as number, (performance.now() - t0) / batch);
    }
  }
  return sizes.map((batch, i) => ({ batch, msPerImage: best[i] as number }));
}

/** The batch to run: the fastest per image, preferring the larger of two within 5% (fewer calls, same speed). */
export function pickBatch(timings: readonly { batch: number; msPerImage: number }[]): number {
  const best = Math.min(...timings.map((t) => t.msPerImage));
  const close = timings.filter((t) => t.msPerImage <= best * 1.05);
  return Math.max(...close.map((t) => t.batch), 1);
}
