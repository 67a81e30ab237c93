// `ssod serve`: browser mode. Starts the HTTP bridge over the same services and prints the one-time URL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../server/index.js';
import type { Services } from '../services/index.js';
import { AppError } from '../shared/errors.js';
import type { CliIo } from './context.js';

export const RENDERER_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer', 'dist');

export interface ServeOptions {
  host?: string;
  port?: number;
  json: boolean;
  open: boolean;
  io: CliIo;
  staticDir?: string;
}

export async function serve(services: Services, options: ServeOptions): Promise<void> {
  const staticDir = options.staticDir ?? RENDERER_DIST;
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new AppError('not-found', `the app is not built (${staticDir}); run 'npm run build:renderer' first`);
  }
  const server = await startServer({
    api: services.api,
    events: services.bus,
    images: (variant, id) => services.images(variant, id),
    staticDir,
    host: options.host,
    port: options.port,
  });
  if (server.warning) options.io.err(`warning: ${server.warning}`);
  if (options.json) options.io.out(JSON.stringify({ url: server.url, origin: server.origin, port: server.port }));
  else options.io.out(`SSOD Audit is running at:\n  ${server.url}\nPress Ctrl-C to stop.`);
  if (options.open) openBrowser(server.url);
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** Opens the default browser when there is a display; silently does nothing otherwise. */
export function openBrowser(url: string): void {
  const platform = process.platform;
  if (platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  const cmd = platform === 'darwin' ? 'open' : platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener installed: the printed URL is enough.
  }
}
