// Where the browsers are. Chromium: Debian's package (apt-get install chromium); never a downloaded one.
// Electron: only if its binary was really installed (the npm package downloads it lazily, which fails offline).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  return '/usr/bin/chromium';
}

export function electronBinary(): { path: string | null; reason: string } {
  const pkg = join(process.cwd(), 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pkg)) return { path: null, reason: 'the electron package is not installed' };
  if (!existsSync(pathFile))
    return { path: null, reason: 'the Electron binary was never downloaded (node_modules/electron/path.txt missing)' };
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(bin)) return { path: null, reason: `the Electron binary is missing at ${bin}` };
  if (!existsSync(join(process.cwd(), 'dist-electron', 'main', 'index.js'))) {
    return { path: null, reason: 'the Electron app is not built (npm run build:electron)' };
  }
  return { path: bin, reason: '' };
}
