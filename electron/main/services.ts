// What the Electron shell needs from src/services, and how it gets it. The services module is loaded by URL at
// run time so the shell builds before that module exists; the shape is checked where it enters.
// TODO(integration): once src/services/index.ts exports createServices, replace the dynamic import with a static
// `import { createServices } from '../../src/services/index.js'` and delete the runtime check.
import type { Api } from '../../src/shared/api.js';
import type { ApiEventSource } from '../../src/rpc/events.js';
import type { EngineFactory } from '../../src/services/engine-pool.js';
import type { ImageProvider } from './protocol.js';

export interface CreateServicesOptions {
  /** Where new projects go by default. */
  projectsFolder: string;
  /** How the services start an engine; in Electron a utilityProcess (see engine-process.ts). */
  engineFactory: EngineFactory;
}

export interface AppServices {
  api: Api;
  events: ApiEventSource;
  images: ImageProvider;
  close(): Promise<void>;
}

export type CreateServices = (options: CreateServicesOptions) => AppServices | Promise<AppServices>;

export function assertAppServices(value: unknown): asserts value is AppServices {
  const v = value as Partial<AppServices> | null;
  if (
    !v ||
    typeof v.api !== 'object' ||
    typeof v.events?.on !== 'function' ||
    typeof v.images !== 'function' ||
    typeof v.close !== 'function'
  ) {
    throw new Error('createServices() must return { api, events, images, close }');
  }
}

export async function loadServices(options: CreateServicesOptions): Promise<AppServices> {
  const url = new URL('../../src/services/index.js', import.meta.url).href;
  const mod = (await import(url)) as { createServices?: CreateServices };
  if (typeof mod.createServices !== 'function') throw new Error(`${url} does not export createServices()`);
  const services = await mod.createServices(options);
  assertAppServices(services);
  return services;
}
