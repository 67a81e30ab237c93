#!/usr/bin/env node
// `npm start`: the desktop app where the Electron binary is installed; otherwise the same UI in the browser
// (browser mode on 127.0.0.1, a free port, the URL printed and the default browser opened when there is a
// display). Either way the user lands in the app, not in an error.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function ensureRendererBuilt() {
  const index = join(root, 'renderer', 'dist', 'index.html');
  const stale = !existsSync(index) || statSync(index).mtimeMs < newestMtime(join(root, 'renderer', 'src'));
  if (!stale) return;
  console.log('Building the app UI (first start or sources changed)…');
  const r = spawnSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

ensureRendererBuilt();
const electron = electronBinary();
if (electron) {
  const r = spawnSync('node', ['electron/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const child = spawn(electron, ['.', ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('Electron is not installed here: starting the app in your browser instead.');
  const child = spawn(process.execPath, [join(root, 'bin', 'ssod.js'), 'serve', '--open', ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
