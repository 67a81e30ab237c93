#!/usr/bin/env node
// Builds the Electron shell into dist-electron/:
//   dist-electron/src/**            src/ transpiled file by file (ESM). Not bundled: the engine resolves its
//                                   worker, entry and lazily imported modules relative to import.meta.url.
//   dist-electron/electron/**       electron/main and electron/channels, same treatment
//   dist-electron/main/index.js     the package.json "main": a stub importing ../electron/main/index.js
//   dist-electron/preload/index.cjs the preload, bundled to one CommonJS file (sandboxed preloads cannot import)
// Native and heavy dependencies (better-sqlite3, sharp, tfjs) stay in node_modules; electron-builder ships them.
import { build } from 'esbuild';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-electron');
const TARGET = 'node22'; // Electron 45 ships Node 22

const isSource = (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts');
const skipDir = (d) => ['testing', 'fixtures', '__fixtures__', 'node_modules'].includes(d);
const ASSET = /\.(json|wasm|bin|txt)$/;

async function walk(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipDir(entry.name)) files.push(...(await walk(full)));
    } else files.push(full);
  }
  return files;
}

async function transpile(files) {
  await build({
    entryPoints: files,
    outdir: out,
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

await rm(out, { recursive: true, force: true });

const srcFiles = await walk(join(root, 'src'));
const electronFiles = [...(await walk(join(root, 'electron', 'main'))), join(root, 'electron', 'channels.ts')].filter(
  isSource,
);
await transpile([...srcFiles.filter(isSource), ...electronFiles]);

// Data files the sources read next to themselves.
for (const file of srcFiles.filter((f) => ASSET.test(f))) {
  const dest = join(out, relative(root, file));
  await mkdir(dirname(dest), { recursive: true });
  await cp(file, dest);
}

await mkdir(join(out, 'main'), { recursive: true });
await writeFile(
  join(out, 'main', 'index.js'),
  "// package.json main: the real entry keeps src/'s relative layout.\nimport '../electron/main/index.js';\n",
);

await build({
  entryPoints: [join(root, 'electron', 'preload', 'index.ts')],
  outfile: join(out, 'preload', 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: TARGET,
  external: ['electron'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

console.log(
  `built ${srcFiles.filter(isSource).length + electronFiles.length} modules and the preload into ${relative(root, out)}/`,
);
