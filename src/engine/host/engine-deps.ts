// What the engine process needs from the rest of the engine, behind one interface: the host only orchestrates
// (processes, workers, cache, files) and tests can swap in a tiny fake backbone or trainer through a module path
// (EngineOptions.depsModule) without touching tfjs.

import { pathToFileURL } from 'node:url';
import type {
  BackendChoice,
  BackendName,
  Backbone,
  FeatureStore,
  HeadsConfig,
  ImageScore,
  PreprocessSpec,
  SavedHeads,
  TrainHeadsResult,
} from '../types.js';
import type { TrainHeadsInput } from '../ssod/index.js';

export interface BackboneLoadOptions {
  inputSize?: number;
  mapLayer?: string;
  pooledLayer?: string;
  /** Download cache for tfjs: URL models. */
  cacheDir?: string;
}

/** The trainer's own input type: a type-only import, so loading this module still loads no trainer. */
export type TrainHeadsArgs = TrainHeadsInput;

export interface EngineDeps {
  selectBackend(force?: BackendName): Promise<BackendChoice>;
  loadBackbone(spec: string, options: BackboneLoadOptions): Promise<Backbone>;
  /** One image as the backbone's preprocessed input: [size, size, 3] float32. Throws on a corrupt file. */
  decodeForBackbone(path: string, preprocess: PreprocessSpec): Promise<Float32Array>;
  /** The trainer's defaults (its defaultHeadsConfig(), awaited here because it is imported lazily). */
  defaultHeadsConfig(): Promise<HeadsConfig>;
  trainHeads(args: TrainHeadsArgs): Promise<TrainHeadsResult>;
  scoreWithHeads(
    model: SavedHeads,
    features: FeatureStore,
    rows: number[],
    signal?: AbortSignal,
  ): Promise<ImageScore[]>;
}

type Loose = Record<string, unknown>;

// The real implementations, each imported on first use: status and extraction workers never load the trainer,
// the trainer never loads a backbone.
const defaults: EngineDeps = {
  selectBackend: async (force) => (await import('../backends/select-backend.js')).selectBackend(force),
  loadBackbone: async (spec, options) => (await import('../backbones/load-backbone.js')).loadBackbone(spec, options),
  decodeForBackbone: async (path, pre) => (await import('../backbones/preprocess.js')).decodeForBackbone(path, pre),
  defaultHeadsConfig: async () => (await import('../ssod/index.js')).defaultHeadsConfig(),
  trainHeads: async (args) => (await import('../ssod/index.js')).trainHeads(args),
  scoreWithHeads: async (model, features, rows, signal) =>
    (await import('../ssod/index.js')).scoreWithHeads(model, features, rows, signal ? { signal } : {}),
};

/** The engine's dependencies; `depsModule` (a file path) overrides any of them by export name. */
export async function loadEngineDeps(depsModule?: string): Promise<EngineDeps> {
  if (!depsModule) return defaults;
  const override = (await import(pathToFileURL(depsModule).href)) as Loose;
  const pick = <K extends keyof EngineDeps>(name: K): EngineDeps[K] => {
    const own = override[name];
    if (typeof own !== 'function') return defaults[name];
    // Overrides may be synchronous (like the trainer's own defaultHeadsConfig); the host always awaits.
    return ((...args: unknown[]) => Promise.resolve((own as (...a: unknown[]) => unknown)(...args))) as EngineDeps[K];
  };
  return {
    selectBackend: pick('selectBackend'),
    loadBackbone: pick('loadBackbone'),
    decodeForBackbone: pick('decodeForBackbone'),
    defaultHeadsConfig: pick('defaultHeadsConfig'),
    trainHeads: pick('trainHeads'),
    scoreWithHeads: pick('scoreWithHeads'),
  };
}
