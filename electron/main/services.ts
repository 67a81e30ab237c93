// What the Electron shell takes from src/services: the same services object browser mode and the CLI use, with
// the engine started as an Electron utilityProcess instead of a forked Node child.
import { join } from 'node:path';
import { createServices, type Services } from '../../src/services/index.js';
import { defaultEngineFactory } from '../../src/services/engine-pool.js';
import { createUtilityEngineFactory } from './engine-process.js';

export interface ShellServicesOptions {
  /** The app's root (app.getAppPath()): resources/ ships beside dist-electron/. */
  appRoot: string;
}

// The data folder is left to the services' default (appDataDir, or $SSOD_HOME) rather than Electron's userData,
// so the desktop app and browser mode share recent projects and the default projects folder.

export function createShellServices(options: ShellServicesOptions): Services {
  return createServices({
    demoDir: join(options.appRoot, 'resources', 'demo'),
    engineFactory: defaultEngineFactory(createUtilityEngineFactory()),
  });
}
