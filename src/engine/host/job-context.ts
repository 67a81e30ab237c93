// What a running job gets from the engine process: its dependencies, the chosen backend, progress and cancel.
import type { BackendChoice } from '../types.js';
import type { EngineDeps } from './engine-deps.js';
import type { ExtractPool } from './extract-pool.js';
import type { EngineOptions, JobProgress } from './protocol.js';

export interface JobContext {
  deps: EngineDeps;
  backend: BackendChoice;
  options: EngineOptions;
  /** Extraction worker threads to use. */
  workers: number;
  signal: AbortSignal;
  progress(p: Omit<JobProgress, 'jobId' | 'rate' | 'etaSeconds'>): void;
  /** The extraction pool kept between jobs (same backbone, same workers). */
  pool: { current?: ExtractPool };
}
