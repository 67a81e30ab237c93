// The services: `Api` (src/shared/api.ts) implemented on the store, the scanner and the engine, one module per
// API namespace. One instance per app process (Electron main, `ssod serve`, each CLI command); every transport
// reaches the same object through the dispatcher, which validates arguments first (src/rpc/dispatcher.ts).
import type { Api, ApiEvents, ImageVariant } from '../shared/api.js';
import { appDataDir } from './app-paths.js';
import { ServiceContext } from './context.js';
import { EnginePool, defaultEngineFactory, type EngineFactory } from './engine-pool.js';
import { EventBus } from '../shared/event-bus.js';
import { createExportService } from './exports-service.js';
import { imageBytes, type ImageBytes } from './image-bytes.js';
import { createImageService } from './images-service.js';
import { JobRunner } from './job-runner.js';
import { createJobService } from './jobs-service.js';
import { createProjectService } from './projects-service.js';
import { RecentProjects } from './recent-projects.js';
import { createReviewService } from './review-service.js';
import { createRunService } from './runs-service.js';
import { createSettingsService } from './settings-service.js';
import { createCurationService } from './curation-service.js';
import { createLabelingService } from './labeling-service.js';
import { createSourceService } from './sources-service.js';

export interface ServicesOptions {
  /** App data folder (recent projects, default projects folder). Default: per-user, or $SSOD_HOME. */
  dataDir?: string;
  engineFactory?: EngineFactory;
  /** Where the demo images live (resources/demo). */
  demoDir?: string;
}

export interface Services {
  api: Api;
  bus: EventBus<ApiEvents>;
  images(variant: ImageVariant, id: number): Promise<ImageBytes>;
  close(): Promise<void>;
}

export function createServices(options: ServicesOptions = {}): Services {
  const dataDir = options.dataDir ?? appDataDir();
  const bus = new EventBus<ApiEvents>();
  const engines = new EnginePool(options.engineFactory ?? defaultEngineFactory());
  const ctx = new ServiceContext(bus, new JobRunner(bus), engines, new RecentProjects(dataDir), dataDir);
  const api: Api = {
    projects: createProjectService(ctx, options.demoDir),
    sources: createSourceService(ctx),
    images: createImageService(ctx),
    review: createReviewService(ctx),
    runs: createRunService(ctx),
    jobs: createJobService(ctx),
    exports: createExportService(),
    settings: createSettingsService(ctx),
    curation: createCurationService(ctx),
    labeling: createLabelingService(ctx),
  };
  return { api, bus, images: (variant, id) => imageBytes(ctx.project, variant, id), close: () => closeAll(ctx) };
}

async function closeAll(ctx: ServiceContext): Promise<void> {
  await ctx.jobs.stop();
  await ctx.engines.close();
  ctx.project?.close();
  ctx.project = null;
}
