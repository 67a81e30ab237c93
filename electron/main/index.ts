// Electron main: the lifecycle as a table of contents. Each feature module owns its setup.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, type BrowserWindow } from 'electron';
import type { Services } from '../../src/services/index.js';
import { setupIpc } from './ipc.js';
import { registerPrivilegedSchemes, setupProtocols } from './protocol.js';
import { setupSessionSecurity, setupWebContentsSecurity } from './security.js';
import { createShellServices } from './services.js';
import { createWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
const PRELOAD = join(here, '../../preload/index.cjs');

let services: Services | null = null;
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

function start(): void {
  const root = app.getAppPath();
  const svc = createShellServices({ appRoot: root });
  services = svc;
  setupSessionSecurity();
  setupProtocols(join(root, 'renderer', 'dist'), (variant, id) => svc.images(variant, id));
  window = createWindow(PRELOAD, join(root, 'resources', 'icons', '512x512.png'));
  const ipc = setupIpc(window, svc.api, svc.bus);
  window.on('closed', () => {
    ipc.dispose();
    window = null;
  });
}
