// The typed messages between a caller (services, CLI, Electron main) and the engine process. Everything here
// is structured-clone-able (child_process 'advanced' serialization, Electron's utilityProcess postMessage).
// One job at a time: a second job while one runs is refused with AppError('busy'); `status` and `cancel` are
// answered at any time.

import type { Progress } from '../../shared/dto.js';
import type { SerializedError } from '../../shared/errors.js';
import type { RelativeCrop } from '../backbones/crop.js';
import type { AdaptConfig, AdaptResult } from '../adapt/index.js';
import type {
  BackendChoice,
  FeatureLayout,
  HeadsConfig,
  ImageScore,
  PreprocessSpec,
  TrainHeadsResult,
} from '../types.js';

/** Which backbone to run and how; `spec` is e.g. 'mobilenet_v2', 'small-cnn', 'tfjs:/models/x#node'. */
export interface BackboneRequest {
  spec: string;
  /** Input side in pixels; default chosen by the backbone (e.g. 224, smaller for small images). */
  inputSize?: number;
  mapLayer?: string;
  pooledLayer?: string;
  /** Where downloaded models are kept (tfjs: URLs); default `<cacheDir>/models`. */
  modelCacheDir?: string;
}

/** A region of the EXIF-oriented image, each value relative to its width or height, in [0, 1]. */
export type CropBox = RelativeCrop;

export interface ImageItem {
  /** Cache key: the file's sha256, or for a crop a sha256 naming the view (see widen-sampling in services). */
  sha256: string;
  path: string;
  /** Extract only this region, rescaled to the backbone's input (cut after EXIF orientation, before resizing). */
  crop?: CropBox;
}

export interface ExtractRequest {
  kind: 'extract';
  items: ImageItem[];
  backbone: BackboneRequest;
  /** Feature cache root (one sub-folder per backbone key). */
  cacheDir: string;
  /** Images per forward pass; default 8. */
  batchSize?: number;
}

export interface TrainRequest {
  kind: 'train';
  cacheDir: string;
  /** Backbone key as returned by extract (the cache is read, no backbone is loaded). */
  backboneKey: string;
  classes: string[];
  /** label = class index, or OOD_LABEL (-1) for an image a reviewer rejected as out-of-distribution.
   * `source` marks an augmented view (e.g. a crop): the index in `train` of the image it was cut from
   * (TrainItem.source); views are never scored. */
  train: { sha256: string; label: number; source?: number }[];
  /** Images scored by the model trained on all of `train` (inbox). */
  score: string[];
  config?: Partial<HeadsConfig>;
  /** Model JSON path; weights go beside it as `<name>.bin`. Both written temp-then-rename. */
  modelOut: string;
  /** The previous run's model JSON: its warm-start file (`<name>.warm.bin`) starts this run's models when the
   * runs match (ssod/warm-start.ts); anything else trains from scratch. */
  warmFrom?: string;
}

export interface ScoreRequest {
  kind: 'score';
  /** Model JSON written by a train job. */
  modelPath: string;
  cacheDir: string;
  /** Defaults to the backbone key recorded in the model. */
  backboneKey?: string;
  items: string[];
}

/** End-to-end mode: fine-tune a trainable backbone (with CLS and per-position OOD heads and the SSOD loss) on
 * the labelled images, then save it as a TF.js layers model that later extract jobs load as `tfjs:<path>#node`. */
export interface EndToEndRequest {
  kind: 'train-end-to-end';
  /** label = class index, or OOD_LABEL (-1): all of that image's positions are OOD targets, no class loss. */
  items: (ImageItem & { label: number })[];
  classes: number;
  /** 'small-cnn', or 'tfjs:<folder-or-model.json>[#layer]' of a layers model (graph models cannot train). */
  backbone: string;
  /** Input side; default from medianSide (small-cnn) or the model's own input. */
  inputSize?: number;
  /** Median short side of the images, to choose small-cnn's input size. */
  medianSide?: number;
  /** Passes over the data; default 10. Steps = epochs * ceil(items / batchSize) unless `steps` is given. */
  epochs?: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  gamma?: number;
  alpha?: number;
  seed?: number;
  /** small-cnn only: channels of its three convolutions (tests use tiny ones). */
  widths?: [number, number, number];
  /** Folder under which the fine-tuned model goes, as `backbone-<sha12>/model.json` (temp then rename). */
  outDir: string;
}

export interface EndToEndResult {
  /** `tfjs:<model.json>#<map layer>`: what extract jobs should load from now on. */
  spec: string;
  modelJsonPath: string;
  /** sha256 over model.json and weights.bin (the tfjs: loader's weightsSha256). */
  sha256: string;
  mapLayer: string;
  inputSize: number;
  preprocess: PreprocessSpec;
  steps: number;
  batchSize: number;
  /** Loss after every step. */
  losses: number[];
  /** Images trained on, and those that could not be decoded (left out). */
  trained: number;
  failed: ExtractFailure[];
  backend: BackendChoice;
  seconds: number;
}

/** Adapt mode: train the backbone's top (above the cached block-12 map) with SSOD's loss, save it, and cache the
 * adapted features of `train` and `score` under `adaptedKey`; the train job then trains heads on them. */
export interface AdaptRequest {
  kind: 'train-adapt';
  cacheDir: string;
  /** Key of the cached block-12 maps (mobilenet_v2 with the default map layer). */
  backboneKey: string;
  classes: string[];
  /** label = class index, or OOD_LABEL (-1): all its positions are OOD targets, no class loss. */
  train: { sha256: string; label: number }[];
  /** Images (inbox) whose adapted features are cached too. */
  score?: string[];
  config?: Partial<AdaptConfig>;
  /** Seconds the training may take before it stops starting joint epochs (AdaptInput.budgetSeconds). */
  budgetSeconds?: number;
  /** The base extraction's preprocessing, recorded so new images go through the same steps. */
  preprocess?: PreprocessSpec;
  /** Adapted model JSON path (weights beside it). */
  modelOut: string;
  /** Where the per-epoch checkpoint lives (default `<name>.checkpoint/` beside modelOut): a run killed mid-way
   * resumes from it when the next run asks for the same data and config, whatever its model path. */
  checkpointDir?: string;
}

export interface AdaptJobResult {
  /** Feature-cache key of the adapted features (train jobs read it as their backboneKey). */
  adaptedKey: string;
  modelPath: string;
  /** sha256 of the adapted weights. */
  sha256: string;
  layout: FeatureLayout;
  /** The run without its weights; the map's projection as its size and the energy it keeps. */
  summary: Omit<AdaptResult, 'top' | 'heads' | 'projection'> & {
    projection?: { c: number; k: number; energyKept: number };
  };
  /** Adapted feature records written. */
  written: number;
  backend: BackendChoice;
  seconds: number;
}

/** Adapted features of images whose block-12 maps are cached (new inbox images after an adapt run). */
export interface AdaptFeaturesRequest {
  kind: 'adapt-features';
  cacheDir: string;
  backboneKey: string;
  modelPath: string;
  items: string[];
}

export interface AdaptFeaturesResult {
  adaptedKey: string;
  written: number;
  cached: number;
  backend: BackendChoice;
  seconds: number;
}

export type JobRequest =
  ExtractRequest | TrainRequest | ScoreRequest | EndToEndRequest | AdaptRequest | AdaptFeaturesRequest;
export type JobKind = JobRequest['kind'];

export interface ExtractFailure {
  sha256: string;
  path: string;
  code: string;
  message: string;
}

export interface ExtractResult {
  backboneKey: string;
  identity: Record<string, string>;
  preprocess: PreprocessSpec;
  layout: FeatureLayout;
  backend: BackendChoice;
  workers: number;
  /** Newly extracted and committed to the cache. */
  extracted: number;
  /** Already in the cache (skipped). */
  cached: number;
  /** Unreadable images (corrupt, missing): reported per item, the rest of the job goes on. */
  failed: ExtractFailure[];
  /** Whole job, including starting workers and loading the backbone (skipped when the pool is reused). */
  seconds: number;
  /** The extraction phase alone (decode + forward + cache write). */
  extractSeconds: number;
  /** extracted / extractSeconds. */
  imagesPerSecond: number;
  /** CPU time of the engine process (all threads) during the extraction phase: on a shared machine,
   * extracted / cpuSeconds * cores estimates what the pipeline does with the cores to itself. */
  cpuSeconds: number;
  /** Where the extraction time went, summed over the workers (seconds): the forward pass waiting for decodes,
   * the forward pass, float16 encoding; and on the engine thread, cache writes. */
  stages?: { decodeWaitSeconds: number; inferSeconds: number; encodeSeconds: number; writeSeconds: number };
  /** Images per forward pass, chosen by timing in the workers (ONNX Runtime), or the request's batch. */
  inferBatch?: number;
}

/** ImageScore with the image it belongs to (rows follow the request order). */
export type ShaScore = ImageScore & { sha256: string };

export type TrainResult = Omit<TrainHeadsResult, 'model' | 'scores'> & {
  /** Out-of-fold scores of `train` in order, then `score` in order. */
  scores: ShaScore[];
  modelPath: string;
  backend: BackendChoice;
  seconds: number;
};

export interface ScoreResult {
  scores: ShaScore[];
  backend: BackendChoice;
  seconds: number;
}

export interface JobResults {
  extract: ExtractResult;
  train: TrainResult;
  score: ScoreResult;
  'train-end-to-end': EndToEndResult;
  'train-adapt': AdaptJobResult;
  'adapt-features': AdaptFeaturesResult;
}

export interface EngineStatus {
  pid: number;
  backend: BackendChoice;
  /** The backend name the engine was started with (--backend), if any: a forced cpu may train end to end. */
  forcedBackend?: string;
  /** Extraction worker threads per job (one per core by default). */
  workers: number;
  busy: { jobId: number; kind: JobKind; phase: string } | null;
  versions: Record<string, string>;
  /** The engine process (its worker threads included): resident now and at its peak. */
  memory: { rssBytes: number; maxRssBytes: number };
}

/** Progress of one engine job, by its request id (the services turn it into the API's JobProgress). */
export interface EngineProgress extends Progress {
  jobId: number;
}

// ---- caller -> engine

export type ToEngine =
  { type: 'job'; id: number; job: JobRequest } | { type: 'status'; id: number } | { type: 'cancel'; id: number };

// ---- engine -> caller

export type FromEngine =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; progress: EngineProgress }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: SerializedError };

/** Options the caller passes to a fresh engine process (argv[2] as JSON). */
export interface EngineOptions {
  /** Force a backend ('tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu', or for extraction only 'onnxruntime' |
   * 'onnxruntime-webgpu'); default: fastest that loads (backends/runtime-chain.ts). */
  backend?: string;
  /** Extraction workers; default one per core. */
  workers?: number;
  /** Test seam: a module whose exports replace the engine's dependencies (see engine-deps.ts). */
  depsModule?: string;
}

export function isToEngine(value: unknown): value is ToEngine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; id?: unknown; job?: unknown };
  if (typeof v.id !== 'number') return false;
  if (v.type === 'status' || v.type === 'cancel') return true;
  return v.type === 'job' && typeof v.job === 'object' && v.job !== null;
}

export function isFromEngine(value: unknown): value is FromEngine {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  return t === 'ready' || t === 'progress' || t === 'done' || t === 'failed';
}
