// The bundled MobileNetV2 as an ONNX model, converted on first use and cached beside the project's models:
// `<dir>/mobilenet_v2-<key>.onnx` plus a `.json` record of what it was made from and how it compared with the
// tfjs backbone. The key hashes the source weights' sha256, the converter version, the layers and the input size,
// so new weights or other layers never reuse a stale file. A file that is corrupt (hash mismatch) or that the
// runtime cannot open is rebuilt; a conversion that differs from tfjs beyond the tolerance is recorded and the
// engine falls back (and does not convert again until the weights or the converter change).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurably } from '../durable-write.js';
import { foldedMobileNetV2Graph } from '../backbones/folded-graph.js';
import { loadBackbone } from '../backbones/load-backbone.js';
import { DEFAULT_MAP_LAYER, DEFAULT_POOLED_LAYER } from '../backbones/mobilenet-v2.js';
import { readNsfwjsMobileNetV2 } from '../backbones/nsfwjs-files.js';
import type { Backbone } from '../types.js';
import { CONVERTER_VERSION, convertFoldedGraph } from './convert.js';
import { loadOnnxBackbone, MAP16_OUTPUT, MAP_OUTPUT, POOLED_OUTPUT, type OnnxBackboneSpec } from './onnx-backbone.js';
import { loadOrt, type OrtProvider } from './ort.js';

/** Largest |tfjs - onnx| allowed over the maps and pooled features of the probe images. */
export const TOLERANCE = 1e-4;
const META_FORMAT = 'ssod-onnx/1';

export interface PrepareOptions {
  inputSize?: number;
  mapLayer?: string;
  pooledLayer?: string;
  /** Folder of converted models (the engine passes `<cacheDir>/models`). */
  dir: string;
  provider?: OrtProvider;
}

export type PreparedSpec = Omit<OnnxBackboneSpec, 'threads'>;

interface Meta {
  format: typeof META_FORMAT;
  modelSha256: string;
  spec: Omit<PreparedSpec, 'modelPath' | 'provider'>;
  maxDiff: number;
  tolerance: number;
}

export interface Prepared {
  spec: PreparedSpec;
  /** True when this call converted (and verified) the model; false when a cached file was reused. */
  converted: boolean;
  maxDiff: number;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function fileNames(options: PrepareOptions): { model: string; meta: string; outputs: [string, string] } {
  const outputs: [string, string] = [
    options.mapLayer ?? DEFAULT_MAP_LAYER,
    options.pooledLayer ?? DEFAULT_POOLED_LAYER,
  ];
  const key = sha256(
    JSON.stringify({
      converter: CONVERTER_VERSION,
      backbone: 'mobilenet_v2',
      weights: readNsfwjsMobileNetV2().weightsSha256,
      outputs,
      inputSize: options.inputSize ?? 224,
    }),
  ).slice(0, 16);
  const base = join(options.dir, `mobilenet_v2-${key}`);
  return { model: `${base}.onnx`, meta: `${base}.json`, outputs };
}

/** Deterministic image-like probe: smooth gradients with fine texture, in [0, 1]. */
export function probePixels(n: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  for (let i = 0; i < out.length; i++) {
    const p = Math.floor(i / 3) % (size * size);
    const y = Math.floor(p / size) / size;
    const x = (p % size) / size;
    const smooth = 0.5 + 0.4 * Math.sin(6 * x + 4 * y + (i % 3) + Math.floor(i / (size * size * 3)));
    out[i] = Math.min(1, Math.max(0, smooth + 0.1 * (((i * 7919) % 1009) / 1009 - 0.5)));
  }
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return Number.isNaN(d) ? Infinity : d;
}

/** Largest difference between two backbones' features on the same pixels. */
export async function compareBackbones(x: Backbone, y: Backbone, pixels: Float32Array, n: number): Promise<number> {
  const [a, b] = [await x.extract(pixels, n), await y.extract(pixels, n)];
  return Math.max(maxAbsDiff(a.maps, b.maps), maxAbsDiff(a.pooled, b.pooled));
}

async function readCached(paths: { model: string; meta: string }): Promise<Meta | undefined> {
  try {
    const meta = JSON.parse(await readFile(paths.meta, 'utf8')) as Meta;
    if (meta.format !== META_FORMAT) return undefined;
    return sha256(await readFile(paths.model)) === meta.modelSha256 ? meta : undefined;
  } catch {
    return undefined;
  }
}

function diffReason(maxDiff: number, tolerance: number): string {
  return `conversion differs from tfjs by ${maxDiff.toExponential(2)} (tolerance ${tolerance.toExponential(0)})`;
}

/** Opens the model once to prove the runtime accepts it; returns the failure message or null. */
async function opens(spec: PreparedSpec): Promise<string | null> {
  try {
    (await loadOnnxBackbone({ ...spec, threads: 1 })).dispose();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function convertAndVerify(options: PrepareOptions, paths: ReturnType<typeof fileNames>): Promise<Prepared> {
  const provider = options.provider ?? 'cpu';
  const reference = await loadBackbone('mobilenet_v2', {
    inputSize: options.inputSize ?? 224,
    mapLayer: paths.outputs[0],
    pooledLayer: paths.outputs[1],
  });
  try {
    const graph = foldedMobileNetV2Graph({ outputs: [...new Set(paths.outputs)] });
    const { bytes } = convertFoldedGraph(graph, {
      inputSize: reference.preprocess.size,
      outputs: [
        { layer: paths.outputs[0], as: 'map', name: MAP_OUTPUT },
        { layer: paths.outputs[0], as: 'map16', name: MAP16_OUTPUT },
        { layer: paths.outputs[1], as: 'pooled', name: POOLED_OUTPUT },
      ],
    });
    await mkdir(options.dir, { recursive: true });
    await writeDurably(paths.model, bytes);
    const { key, identity, preprocess, layout } = reference;
    const spec: PreparedSpec = { modelPath: paths.model, provider, key, identity, preprocess, layout };
    const onnx = await loadOnnxBackbone({ ...spec, threads: 1 });
    let maxDiff: number;
    try {
      maxDiff = await compareBackbones(reference, onnx, probePixels(2, preprocess.size), 2);
    } finally {
      onnx.dispose();
    }
    const meta: Meta = {
      format: META_FORMAT,
      modelSha256: sha256(bytes),
      spec: { key, identity, preprocess, layout },
      maxDiff,
      tolerance: TOLERANCE,
    };
    await writeDurably(paths.meta, JSON.stringify(meta, null, 1));
    return { spec, converted: true, maxDiff };
  } finally {
    reference.dispose();
  }
}

/**
 * The converted model for these layers and input size, or the reason the ONNX path cannot be used (the runtime is
 * missing or fails to load, the conversion fails, or it differs from tfjs beyond TOLERANCE). Runs on the engine
 * thread with the tfjs backend already active (the reference features come from it).
 */
export async function prepareMobileNetOnnx(options: PrepareOptions): Promise<Prepared | string> {
  const ort = await loadOrt();
  if (typeof ort === 'string') return ort;
  const provider = options.provider ?? 'cpu';
  let paths: ReturnType<typeof fileNames>;
  try {
    paths = fileNames(options);
  } catch (e) {
    return `cannot convert: ${e instanceof Error ? e.message : String(e)}`;
  }
  const cached = await readCached(paths);
  if (cached !== undefined) {
    if (cached.maxDiff > cached.tolerance) return diffReason(cached.maxDiff, cached.tolerance);
    const spec: PreparedSpec = { ...cached.spec, modelPath: paths.model, provider };
    if ((await opens(spec)) === null) return { spec, converted: false, maxDiff: cached.maxDiff };
  }
  // Missing, corrupt or unloadable: convert again from the bundled weights.
  try {
    await rm(paths.meta, { force: true });
    const prepared = await convertAndVerify(options, paths);
    return prepared.maxDiff > TOLERANCE ? diffReason(prepared.maxDiff, TOLERANCE) : prepared;
  } catch (e) {
    return `cannot convert: ${e instanceof Error ? e.message : String(e)}`;
  }
}
