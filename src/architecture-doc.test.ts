// docs/architecture.md names every module a newcomer has to find: this fails when one is added (or renamed) and
// the page is not, so the picture keeps matching the code. Granularity: folders of the layers, and files of the
// services (where new namespaces, jobs and pipeline steps land); tests and test fixtures inside them aside.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

function entries(dir: string, keep: (name: string, isDir: boolean) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => keep(e.name, e.isDirectory()))
    .map((e) => `${dir}/${e.name}`);
}

const folders = (dir: string) => entries(dir, (_name, isDir) => isDir);
const modules = (dir: string) =>
  entries(dir, (name, isDir) => isDir || (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !name.endsWith('.d.ts')));

/** Every module the page must name, as a path from the repository root. */
export function expectedModules(): string[] {
  return [
    ...folders('src'),
    ...folders('src/engine'),
    ...modules('src/services'),
    ...modules('src/services/jobs'),
    ...modules('src/services/pipeline'),
    'electron/main',
    'electron/preload',
    ...folders('renderer/src'),
  ];
}

describe('docs/architecture.md', () => {
  it('names every top-level module', () => {
    const missing = expectedModules().filter((path) => !DOC.includes(path));
    expect(missing, 'add a line for each to docs/architecture.md').toEqual([]);
  });

  it('names no service module that is gone', () => {
    const named = [...DOC.matchAll(/`(src\/services\/[\w/.-]+?)\/?`/g)].map((m) => m[1]!);
    const present = new Set(expectedModules());
    const gone = named.filter((p) => !present.has(p) && !p.includes('/export/') && !p.includes('/testing/'));
    expect(gone).toEqual([]);
  });
});
