import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSource, getSetting, SCAN_CACHE_KIB, setSetting } from '../../db/index.js';
import { encode } from '../../scan/testing/images.js';
import type { JobContext, ProgressStep } from '../../shared/dto.js';
import { createProject, type ProjectHandle } from '../project-handle.js';
// eslint-disable-next-line no-restricted-imports -- the job's own unit test, not another job
import { runScan } from './scan-job.js';

let dir: string;
let project: ProjectHandle;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-scan-job-'));
  mkdirSync(join(dir, 'source', 'a'), { recursive: true });
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, 'source', 'a', `${i}.png`), await encode('png', 8, 8, i + 1));
  project = createProject(join(dir, 'project'));
});

afterEach(() => {
  project.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(updates: ProgressStep[] = [], controller = new AbortController()): JobContext {
  return { signal: controller.signal, progress: (p) => updates.push(p) };
}

const pragmas = (p: ProjectHandle): { cache: number; mmap: number } => ({
  cache: p.db.pragma('cache_size', { simple: true }) as number,
  mmap: p.db.pragma('mmap_size', { simple: true }) as number,
});

describe('runScan memory settings', () => {
  it('scans with a small page cache and no memory map, and puts the read settings back after', async () => {
    addSource(project.db, join(dir, 'source'), 'train');
    const readSettings = pragmas(project);
    expect(readSettings.mmap).toBeGreaterThan(0);
    const during: { cache: number; mmap: number }[] = [];
    const summary = await runScan(project, context(), {
      batchSize: 2,
      afterBatch: () => during.push(pragmas(project)),
    });
    expect(summary.added).toBe(6);
    expect(during).toHaveLength(3);
    for (const d of during) expect(d).toEqual({ cache: -SCAN_CACHE_KIB, mmap: 0 });
    expect(pragmas(project)).toEqual(readSettings);
  });

  it('puts the read settings back when the scan fails or is cancelled', async () => {
    addSource(project.db, join(dir, 'source'), 'train');
    const readSettings = pragmas(project);
    const controller = new AbortController();
    controller.abort();
    await expect(runScan(project, context([], controller))).rejects.toMatchObject({ code: 'cancelled' });
    expect(pragmas(project)).toEqual(readSettings);

    addSource(project.db, join(dir, 'gone'), 'inbox');
    await expect(runScan(project, context())).rejects.toMatchObject({ code: 'not-found' });
    expect(pragmas(project)).toEqual(readSettings);
  });
});

describe('runScan progress', () => {
  it('shows an ETA while scanning, priced by the scanner, and none while counting', async () => {
    addSource(project.db, join(dir, 'source'), 'train');
    const updates: ProgressStep[] = [];
    await runScan(project, context(updates), { batchSize: 1 });
    expect(updates[0]).toMatchObject({ phase: 'counting', etaSeconds: null });
    const scanning = updates.filter((u) => u.phase === 'scanning');
    expect(scanning.length).toBeGreaterThan(0);
    for (const u of scanning) expect(u).toHaveProperty('etaSeconds');
    // The last report is the scanner's 'done' (shown as scanning, nothing left).
    expect(scanning.at(-1)).toMatchObject({ done: 6, total: 6, etaSeconds: 0 });
  });
});

describe('runScan costs', () => {
  const key = (id: number): string => `scan.costs.${id}`;
  type Stored = { unchanged: unknown; probed: unknown } | null;
  const stored = (id: number): Stored => getSetting<Stored>(project.db, key(id), null);

  it('keeps what a scan cost per file for the next one, each kind only once measured', async () => {
    const source = addSource(project.db, join(dir, 'source'), 'train');
    await runScan(project, context());
    const first = stored(source.id);
    expect(first?.probed).toBeGreaterThan(0);
    expect(first?.unchanged).toBeNull();
    await runScan(project, context()); // nothing changed: only unchanged files
    const second = stored(source.id);
    expect(second?.probed).toBe(first?.probed);
    expect(second?.unchanged).toBeGreaterThanOrEqual(0);
  });

  it('ignores a stored value that is not seconds per file', async () => {
    const source = addSource(project.db, join(dir, 'source'), 'train');
    setSetting(project.db, key(source.id), { unchanged: 'fast', probed: -1 });
    const summary = await runScan(project, context());
    expect(summary.added).toBe(6);
    const saved = stored(source.id);
    expect(saved?.unchanged).toBeNull();
    expect(typeof saved?.probed).toBe('number');
  });
});
