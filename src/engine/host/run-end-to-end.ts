// The train-end-to-end job: fine-tune a trainable backbone on the labelled images with the SSOD loss, then save
// it as a TF.js layers model. Heads are not kept: services extract features with the saved backbone
// (`tfjs:<model.json>#<map layer>`) and train the usual heads on them, so every scorer, out-of-fold score,
// threshold and heatmap exists exactly as in heads mode.
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';
import { assertEndToEndAllowed } from '../backbones/end-to-end-policy.js';
import { preprocessSpecFor } from '../backbones/load-backbone.js';
import { saveLayersModel } from '../backbones/save-layers-model.js';
import {
  buildSmallCnn,
  SMALL_CNN_MAP_LAYER,
  smallCnnInputSize,
  trainEndToEnd,
  type EndToEndData,
} from '../backbones/small-cnn.js';
import { parseTfjsSpec } from '../backbones/tfjs-model.js';
import { readTfjsModel } from '../backbones/tfjs-model-files.js';
import { throwIfCancelled } from './cancel.js';
import type { EngineJobContext } from './job-context.js';
import type { EndToEndRequest, EndToEndResult, ExtractFailure } from './protocol.js';

const DEFAULT_EPOCHS = 10;
const DEFAULT_BATCH = 32;
const DEFAULT_LEARNING_RATE = 1e-3;
const DECODES_IN_FLIGHT = 4;

interface Trainable {
  model: tf.LayersModel;
  mapLayer: string;
  inputSize: number;
  dispose(): void;
}

function checkRequest(req: EndToEndRequest): void {
  if (!Array.isArray(req.items) || req.items.length === 0) {
    throw new AppError('invalid-argument', 'train-end-to-end: at least one training image is needed');
  }
  if (!Number.isInteger(req.classes) || req.classes < 1) {
    throw new AppError('invalid-argument', `train-end-to-end: classes must be a positive integer, got ${req.classes}`);
  }
  for (const it of req.items) {
    if (typeof it?.path !== 'string' || !Number.isInteger(it.label) || it.label < -1 || it.label >= req.classes) {
      throw new AppError('invalid-argument', `train-end-to-end: bad item ${JSON.stringify(it)}`);
    }
  }
  if (typeof req.outDir !== 'string' || req.outDir === '') {
    throw new AppError('invalid-argument', 'train-end-to-end: outDir is required');
  }
  const positive = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new AppError('invalid-argument', `train-end-to-end: ${name} must be positive, got ${String(v)}`);
    }
  };
  positive(req.epochs, 'epochs');
  positive(req.steps, 'steps');
  positive(req.batchSize, 'batchSize');
  positive(req.learningRate, 'learningRate');
}

/** A layers model from a `tfjs:` folder, cut at its map layer. Graph models are frozen inference graphs. */
async function loadTfjsTrainable(spec: string, inputSize: number | undefined): Promise<Trainable> {
  const { location, node } = parseTfjsSpec(spec);
  const files = await readTfjsModel(location);
  const topology = files.modelJson.modelTopology as { node?: unknown } | undefined;
  if (files.modelJson.format === 'graph-model' || Array.isArray(topology?.node)) {
    throw new AppError(
      'refused',
      `${files.source} is a graph model (a frozen inference graph): end-to-end mode needs a layers model`,
    );
  }
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(files.modelJson, () =>
        Promise.resolve([files.weightSpecs, files.weightData] as [tf.io.WeightsManifestEntry[], ArrayBuffer]),
      ),
  };
  const full = await tf.loadLayersModel(handler);
  try {
    const layer = node === undefined ? full.layers.at(-1) : full.layers.find((l) => l.name === node);
    if (!layer) throw new AppError('not-found', `layer "${node ?? ''}" not in ${files.source}`);
    const model = node === undefined ? full : tf.model({ inputs: full.inputs, outputs: layer.output });
    const [, h, w, c] = full.inputs[0]?.shape ?? [];
    const [, mh, mw, mc] = model.outputs[0]?.shape ?? [];
    if (typeof h !== 'number' || h !== w || c !== 3 || !mh || !mw || !mc) {
      throw new AppError(
        'invalid-argument',
        `${files.source}: end-to-end mode needs a fixed square RGB input and a rank-4 map at "${layer.name}"`,
      );
    }
    if (inputSize !== undefined && inputSize !== h) {
      throw new AppError('invalid-argument', `input-shape mismatch: ${files.source} takes ${h}x${h}, not ${inputSize}`);
    }
    const dispose = (): void => {
      model.dispose();
      // A cut model shares layers with the full one; the layers past the cut are the full model's alone.
      if (model !== full) {
        try {
          full.dispose();
        } catch {
          // already released with the cut model's layers
        }
      }
    };
    return { model, mapLayer: layer.name, inputSize: h, dispose };
  } catch (error) {
    full.dispose();
    throw error;
  }
}

async function loadTrainable(req: EndToEndRequest): Promise<Trainable> {
  if (req.backbone === 'small-cnn') {
    const inputSize = req.inputSize ?? smallCnnInputSize(req.medianSide ?? 32);
    const model = buildSmallCnn({ inputSize, seed: req.seed ?? 1, ...(req.widths ? { widths: req.widths } : {}) });
    return { model, mapLayer: SMALL_CNN_MAP_LAYER, inputSize, dispose: () => model.dispose() };
  }
  if (req.backbone === 'mobilenet_v2') {
    throw new AppError(
      'refused',
      'mobilenet_v2 runs as a folded inference graph (BatchNormalization folded into fused convolutions) and ' +
        'cannot be fine-tuned: use --backbone small-cnn, or a layers model as tfjs:<folder>#<layer>, or heads mode',
    );
  }
  if (req.backbone.startsWith('tfjs:')) return loadTfjsTrainable(req.backbone, req.inputSize);
  throw new AppError(
    'invalid-argument',
    `end-to-end mode trains small-cnn or a tfjs: layers model, not "${req.backbone}"`,
  );
}

/** Seeded Fisher-Yates: training batches are cut in order, so the order must mix the classes. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Decodes every item (DECODES_IN_FLIGHT at a time) and packs the readable ones densely, in the given order. */
async function decodeItems(
  items: EndToEndRequest['items'],
  inputSize: number,
  ctx: EngineJobContext,
): Promise<{ data: EndToEndData; failed: ExtractFailure[]; preprocess: ReturnType<typeof preprocessSpecFor> }> {
  // Exactly what the tfjs: loader will feed the saved model at extraction.
  const preprocess = preprocessSpecFor('tfjs:saved', 0, { inputSize });
  const stride = inputSize * inputSize * 3;
  const pixels = new Float32Array(items.length * stride);
  const ok: boolean[] = new Array<boolean>(items.length).fill(false);
  const failed: ExtractFailure[] = [];
  let next = 0;
  let done = 0;
  ctx.progress({ phase: 'decode', done: 0, total: items.length });
  const decodeWorker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      throwIfCancelled(ctx.signal, 'end-to-end training');
      const it = items[i]!;
      try {
        pixels.set(await ctx.deps.decodeForBackbone(it.path, preprocess), i * stride);
        ok[i] = true;
      } catch (e) {
        const code = e instanceof AppError ? e.code : 'io-error';
        failed.push({ sha256: it.sha256, path: it.path, code, message: (e as Error).message });
      }
      ctx.progress({ phase: 'decode', done: ++done, total: items.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODES_IN_FLIGHT, items.length) }, decodeWorker));
  const keep = items.map((_, i) => i).filter((i) => ok[i]);
  const data: EndToEndData = {
    pixels: new Float32Array(keep.length * stride),
    labels: new Int32Array(keep.length),
    n: keep.length,
  };
  keep.forEach((i, k) => {
    data.pixels.set(pixels.subarray(i * stride, (i + 1) * stride), k * stride);
    data.labels[k] = items[i]!.label;
  });
  return { data, failed, preprocess };
}

/** Trains the backbone with SSOD's loss on the decoded images; returns the loss per step and the step plan. */
async function trainBackbone(
  model: tf.LayersModel,
  data: EndToEndData,
  req: EndToEndRequest,
  ctx: EngineJobContext,
  forced: boolean,
): Promise<{ losses: number[]; steps: number; batchSize: number }> {
  const batchSize = Math.min(req.batchSize ?? DEFAULT_BATCH, data.n);
  const steps = req.steps ?? Math.ceil(data.n / batchSize) * (req.epochs ?? DEFAULT_EPOCHS);
  const heads = await ctx.deps.defaultHeadsConfig();
  ctx.progress({ phase: 'end-to-end', done: 0, total: steps });
  const { losses } = await trainEndToEnd(model, data, {
    classes: req.classes,
    steps,
    batchSize,
    learningRate: req.learningRate ?? DEFAULT_LEARNING_RATE,
    gamma: req.gamma ?? heads.gamma,
    alpha: req.alpha ?? heads.alpha,
    seed: req.seed ?? 1,
    backend: ctx.backend,
    forced,
    signal: ctx.signal,
    onStep: async (step, loss) => {
      ctx.progress({ phase: 'end-to-end', done: step + 1, total: steps, loss });
      // Let the process see a cancel message between steps (tfjs work here never yields on its own).
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  });
  return { losses, steps, batchSize };
}

export async function runEndToEnd(req: EndToEndRequest, ctx: EngineJobContext): Promise<EndToEndResult> {
  const t0 = performance.now();
  checkRequest(req);
  // The engine was started with --backend NAME: selectBackend fails rather than fall back, so name matches.
  const forced = ctx.options.backend !== undefined && ctx.options.backend === ctx.backend.name;
  assertEndToEndAllowed(ctx.backend, forced);
  const trainable = await loadTrainable(req);
  const { model, mapLayer, inputSize } = trainable;
  try {
    const { data, failed, preprocess } = await decodeItems(shuffled(req.items, req.seed ?? 1), inputSize, ctx);
    if (!data.labels.some((l) => l >= 0)) {
      throw new AppError('invalid-argument', 'end-to-end mode needs at least one readable in-distribution image');
    }
    const { losses, steps, batchSize } = await trainBackbone(model, data, req, ctx, forced);
    throwIfCancelled(ctx.signal, 'end-to-end training');
    ctx.progress({ phase: 'save-backbone', done: 0, total: 1 });
    const saved = await saveLayersModel(model, req.outDir);
    return {
      spec: `tfjs:${saved.modelJsonPath}#${mapLayer}`,
      modelJsonPath: saved.modelJsonPath,
      sha256: saved.sha256,
      mapLayer,
      inputSize,
      preprocess,
      steps,
      batchSize,
      losses,
      trained: data.n,
      failed,
      backend: ctx.backend,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    trainable.dispose();
  }
}
