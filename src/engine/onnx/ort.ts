// onnxruntime-node, loaded on first use and only if it is there: it is an optional dependency (about 290 MB for
// every platform, a postinstall that wants the network), so its absence or a binary that fails to load is a reason
// recorded in the run, never a crash. Only the slice of its API the engine uses is typed here, so the engine
// type-checks without the package.

export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

export interface OrtSession {
  /** `fetches`: the outputs to return (ONNX Runtime skips nodes only other outputs need). */
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface OrtSessionOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  extra?: Record<string, Record<string, string>>;
}

export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
  env: { versions?: Record<string, string> };
}

/** Execution providers the engine offers: 'cpu' by default, 'webgpu' only when forced. */
export type OrtProvider = 'cpu' | 'webgpu';

const loaded = new Map<string, Promise<OrtModule | string>>();

/** Resolves to the module, or to the reason it cannot be used (recorded as the runtime's skip reason). The
 * package name is a parameter so the type checker and bundlers never require it (and tests can miss it). */
export function loadOrt(pkg = 'onnxruntime-node'): Promise<OrtModule | string> {
  const known = loaded.get(pkg);
  if (known) return known;
  const attempt = import(pkg).then(
    (m: unknown) => {
      const mod = ((m as { default?: unknown }).default ?? m) as Partial<OrtModule>;
      if (typeof mod.InferenceSession?.create !== 'function') return 'failed to load: no InferenceSession';
      return mod as OrtModule;
    },
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      return /Cannot find (package|module)/.test(message) ? 'not installed' : `failed to load: ${message}`;
    },
  );
  loaded.set(pkg, attempt);
  return attempt;
}

export function ortVersion(ort: OrtModule): string {
  return ort.env.versions?.['node'] ?? ort.env.versions?.['common'] ?? 'unknown';
}

/** One session per worker: `threads` intra-op threads, no spinning (idle threads would steal the core that
 * decodes the next batch). */
export function sessionOptions(provider: OrtProvider, threads: number): OrtSessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: Math.max(1, Math.floor(threads)),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
  };
}
