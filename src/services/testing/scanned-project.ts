// A project the services tests start from, made through the Api as the app makes one: services on the
// pixel-statistics backbone, a project at `<dir>/project` with the app's data in `<dir>/home`, a reviewer set,
// and `<data>/train` and `<data>/inbox` added and scanned. Training is a step of its own (some tests check what
// happens before the first run).
import { join } from 'node:path';
import type { RunSummary, TrainOptions } from '../../shared/dto.js';
import { createServices, type Services } from '../create-services.js';
import { pixelEngineFactory } from './curate-fixture.js';

/** Enough epochs for the OOD head to learn from a handful of rejections; still seconds with the pixel backbone. */
export const PIXEL_TRAIN: TrainOptions = { epochs: 12, folds: 2, seed: 7, backbone: 'pixel' };

export async function openScannedProject(dir: string, data: string): Promise<Services> {
  const services = createServices({ dataDir: join(dir, 'home'), engineFactory: pixelEngineFactory() });
  const { api } = services;
  await api.projects.create(join(dir, 'project'));
  await api.settings.set({ reviewer: 'tester' });
  for (const role of ['train', 'inbox'] as const) {
    const source = await api.sources.add(join(data, role), role);
    const result = await api.jobs.wait((await api.jobs.scan(source.id)).id);
    if (result.outcome !== 'done') throw new Error(`scan of ${role} ${result.outcome}: ${result.error ?? ''}`);
  }
  return services;
}

/** Trains and waits; a run that does not finish fails the calling test with the job's own error. */
export async function trainRun(services: Services, options: TrainOptions = PIXEL_TRAIN): Promise<RunSummary> {
  const ref = await services.api.jobs.train(options);
  const result = await services.api.jobs.wait(ref.id);
  if (result.outcome !== 'done') throw new Error(`train ${result.outcome}: ${result.error ?? ''}`);
  return result.result as RunSummary;
}
