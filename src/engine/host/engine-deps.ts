// What the engine process needs from the rest of the engine, behind one interface: the host only orchestrates
// (processes, workers, cache, files) and tests can swap in a tiny fake backbone or trainer through a module path
// (EngineOptions.depsModule) without touching tfjs. Modules are imported lazily so a status request does not
// load a backbone and an extraction worker does not load the trainer.

import { pathToFileURL } from 'node:url';
import { AppError } from '../../shared/errors.js';
import type {
  BackendChoice,
  BackendName,
  Backbone,
  FeatureStore,
  HeadsConfig,
  ImageScore,
  PreprocessSpec,
  ProgressFn,
  SavedHeads,
  TrainHeadsResult,
  TrainItem,
} from '../types.js';

export interface BackboneLoadOptions {
  inputSize?: number;
  mapLayer?: string;
  pooledLayer?: string;
  /** Download cache for tfjs: URL models. */
  cacheDir?: string;
}

export interface TrainHeadsArgs {
  features: FeatureStore;
  classes: string[];
  train: TrainItem[];
  scoreRows: number[];
  config: HeadsConfig;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface EngineDeps {
  selectBackend(force?: BackendName): Promise<BackendChoice>;
  loadBackbone(spec: string, options: BackboneLoadOptions): Promise<Backbone>;
  /** One image as the backbone's preprocessed input: [size, size, 3] float32. Throws on a corrupt file. */
  decodeForBackbone(path: string, preprocess: PreprocessSpec): Promise<Float32Array>;
  /** The trainer's defaults (its defaultHeadsConfig(), awaited here because it is imported lazily). */
  defaultHeadsConfig(): Promise<HeadsConfig>;
  trainHeads(args: TrainHeadsArgs): Promise<TrainHeadsResult>;
  scoreWithHeads(model: SavedHeads, features: FeatureStore, rows: number[]): Promise<ImageScore[]>;
}

type Loose = Record<string, unknown>;

// The other engine modules are imported by path at run time: each function is looked up when first called, so
// a missing or renamed export is one clear error instead of a process that cannot start.
const DEFAULT_MODULES: Record<keyof EngineDeps, string> = {
  selectBackend: '../backends/select-backend.js',
  loadBackbone: '../backbones/index.js',
  decodeForBackbone: '../backbones/index.js',
  defaultHeadsConfig: '../ssod/index.js',
  trainHeads: '../ssod/index.js',
  scoreWithHeads: '../ssod/index.js',
};

async function importExport(specifier: string, name: string): Promise<unknown> {
  const url = specifier.startsWith('.') ? new URL(specifier, import.meta.url).href : specifier;
  const mod = (await import(url)) as Loose;
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new AppError('engine-failed', `engine module ${specifier} does not export ${name}()`);
  }
  return fn;
}

/** The engine's dependencies; `depsModule` (a file path) overrides any of them by export name. */
export async function loadEngineDeps(depsModule?: string): Promise<EngineDeps> {
  const override: Loose = depsModule ? ((await import(pathToFileURL(depsModule).href)) as Loose) : {};
  const resolved = new Map<string, Promise<unknown>>();
  const get = (name: keyof EngineDeps): Promise<unknown> => {
    let p = resolved.get(name);
    if (!p) {
      const own = override[name];
      p = typeof own === 'function' ? Promise.resolve(own) : importExport(DEFAULT_MODULES[name], name);
      resolved.set(name, p);
    }
    return p;
  };
  type Fn = (...args: unknown[]) => unknown;
  const call = async (name: keyof EngineDeps, args: unknown[]): Promise<unknown> => ((await get(name)) as Fn)(...args);
  return {
    selectBackend: (force) => call('selectBackend', [force]) as Promise<BackendChoice>,
    loadBackbone: (spec, options) => call('loadBackbone', [spec, options]) as Promise<Backbone>,
    decodeForBackbone: (path, pre) => call('decodeForBackbone', [path, pre]) as Promise<Float32Array>,
    defaultHeadsConfig: () => call('defaultHeadsConfig', []) as Promise<HeadsConfig>,
    trainHeads: (args) => call('trainHeads', [args]) as Promise<TrainHeadsResult>,
    scoreWithHeads: (model, features, rows) => call('scoreWithHeads', [model, features, rows]) as Promise<ImageScore[]>,
  };
}
