// Electron main: the lifecycle as a table of contents. Each feature module owns its setup.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, type BrowserWindow } from 'electron';
import { defaultProjectsDir } from '../../src/services/app-paths.js';
import { defaultEngineFactory } from '../../src/services/engine-pool.js';
import { createUtilityEngineFactory } from './engine-process.js';
import { setupIpc } from './ipc.js';
import { registerPrivilegedSchemes, setupProtocols } from './protocol.js';
import { setupSessionSecurity, setupWebContentsSecurity } from './security.js';
import { loadServices, type AppServices } from './services.js';
import { createWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
const PRELOAD = join(here, '../../preload/index.cjs');

let services: AppServices | null = null;
let window: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerPrivilegedSchemes();
  setupWebContentsSecurity();
  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    void services?.close();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('SSOD Audit could not start:', error);
      app.exit(1);
    });
}

async function start(): Promise<void> {
  const root = app.getAppPath();
  setupSessionSecurity();
  services = await loadServices({
    projectsFolder: defaultProjectsDir(),
    engineFactory: defaultEngineFactory(createUtilityEngineFactory()),
  });
  setupProtocols(join(root, 'renderer', 'dist'), services.images);
  window = createWindow(PRELOAD, join(root, 'resources', 'icons', '512x512.png'));
  const ipc = setupIpc(window, services.api, services.events);
  window.on('closed', () => {
    ipc.dispose();
    window = null;
  });
}
