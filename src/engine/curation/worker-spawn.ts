// Starts one of the curation worker threads. Same start-up as the engine's other workers: a .ts worker registers
// tsx itself (Node 20 does not pass --import); a build runs the .js beside this file.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/errors.js';

export type CurationThread = 'worker' | 'similar-worker' | 'bucket-worker';

export function spawnCurationThread(name: CurationThread, workerData?: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    const js = new URL(`./${name}.js`, import.meta.url);
    if (!existsSync(fileURLToPath(js)))
      throw new AppError('engine-failed', `the curation ${name} is missing from this build`);
    return new Worker(js, { workerData });
  }
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
