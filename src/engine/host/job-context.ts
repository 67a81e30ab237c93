// What a running job gets from the engine process: the one JobContext (cancel and progress, src/shared/dto.ts)
// plus its dependencies, the chosen backend and the kept extraction pool.
import type { JobContext } from '../../shared/dto.js';
import type { BackendChoice } from '../types.js';
import type { EngineDeps } from './engine-deps.js';
import type { ExtractPool } from './extract-pool.js';
import type { EngineOptions } from './protocol.js';

export interface EngineJobContext extends JobContext {
  deps: EngineDeps;
  backend: BackendChoice;
  options: EngineOptions;
  /** Extraction worker threads to use. */
  workers: number;
  /** The extraction pool kept between jobs (same backbone, same workers). */
  pool: { current?: ExtractPool };
}
