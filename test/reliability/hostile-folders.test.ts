// Promise 3: hostile folders. Symlink loops, links out of the root, FIFOs, names with newlines and invalid UTF-8
// and a 20-level deep tree, scanned through the services: the scan finishes and reports each case with exact
// counts. Then files that vanish or change (including into a FIFO) while a scan runs: it still finishes, and each
// such file ends ok, with a reason code, or unlisted (when it was gone before the walk reached it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFolder, type FileRecord, type SkippedEntry } from '../../src/scan/index.js';
import { buildHostileTree, type HostileTree } from '../../src/scan/testing/hostile-tree.js';
import { jpeg } from '../../src/scan/testing/images.js';
import { createServices, type Services } from '../../src/services/index.js';
import { ERROR_CODES } from '../../src/shared/dto.js';
import { hashTree, treeDiff } from './helpers/hash-tree.js';

const DEPTH = 20;
let dir: string;
let tree: HostileTree;
let services: Services;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssod-hostile-'));
  tree = await buildHostileTree(dir);
  // A 20-level deep tree with one image per level, under the class folder "deep".
  const img = await jpeg(24, 24, 3);
  let at = join(tree.root, 'deep');
  for (let level = 1; level <= DEPTH; level += 1) {
    at = join(at, `level-${level}`);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, `img-${level}.jpg`), Buffer.concat([img, Buffer.from([level])]));
  }
  services = createServices({ dataDir: join(dir, 'app-data') });
}, 120_000);

afterAll(async () => {
  await services?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hostile folders', () => {
  it('a scan through the services finishes and reports every case', async () => {
    const before = hashTree(tree.root);
    const outsideBefore = hashTree(tree.outside);
    const { api } = services;
    await api.projects.create(join(dir, 'project'));
    await api.sources.add(tree.root, 'train');
    const job = await api.jobs.scan();
    const result = await api.jobs.wait(job.id);
    expect(result.outcome, result.error).toBe('done');
    const status = await api.projects.status();
    // The deep tree adds 20 readable images; everything else is the hostile tree's own expectation.
    expect(status.byStatus.ok).toBe(tree.expectOk + DEPTH);
    expect(status.errorsByCode).toEqual(tree.expectErrors);
    const deep = await api.images.list({ class: 'deep', limit: 100 });
    expect(deep.total).toBe(DEPTH);
    // Nothing outside the root was recorded through the link that points there.
    const all = await api.images.list({ limit: 1000 });
    expect(all.rows.some((r) => String(r.path).includes('secret'))).toBe(false);
    expect(treeDiff(before, hashTree(tree.root))).toEqual([]);
    expect(treeDiff(outsideBefore, hashTree(tree.outside))).toEqual([]);
    const errors = Object.values(tree.expectErrors).reduce((a, b) => a + b, 0);
    console.log(
      `hostile-folders: ${tree.expectOk + DEPTH} readable images found (incl. a ${DEPTH}-level tree), ${errors} ` +
        `reported with reason codes ${JSON.stringify(status.errorsByCode)}; symlink loop, self-link, dangling ` +
        `link, link out of the root and a FIFO did not hang or escape; sources unchanged`,
    );
  });

  it('the scanner reports each skipped symlink with its reason', async () => {
    const skipped: SkippedEntry[] = [];
    const records: FileRecord[] = [];
    for await (const r of scanFolder(tree.root, {
      role: 'train',
      known: () => undefined,
      thumbDir: join(dir, 'thumbs-skip'),
      onSkip: (s) => skipped.push(s),
    })) {
      records.push(r);
    }
    const reasons: Record<string, number> = {};
    for (const s of skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
    expect(reasons).toEqual(tree.expectSkipped);
    expect(records.find((r) => r.relPath === 'cats/new\nline.png')?.kind).toBe('ok');
    expect(records.filter((r) => r.errorCode === 'invalid-utf8-name')).toHaveLength(2);
  });

  it('files that vanish or change during a scan', async () => {
    const root = join(dir, 'churn');
    const n = 60;
    mkdirSync(root);
    const kinds = ['stable', 'vanish', 'shrink', 'text', 'fifo', 'dir'] as const;
    for (const kind of kinds) {
      for (let i = 0; i < n; i += 1) writeFileSync(join(root, `${kind}-${i}.jpg`), await jpeg(64, 48, i + 1));
    }
    let changed = false;
    const records = new Map<string, FileRecord>();
    const scan = (async () => {
      for await (const r of scanFolder(root, {
        role: 'inbox',
        known: () => undefined,
        thumbDir: join(dir, 'thumbs-churn'),
        concurrency: 1,
      })) {
        records.set(r.relPath, r);
        if (!changed) {
          // After the first record, pull the rug: the walk has listed some of these names already.
          changed = true;
          for (let i = 0; i < n; i += 1) {
            const p = (k: string): string => join(root, `${k}-${i}.jpg`);
            if (records.has(`vanish-${i}.jpg`)) continue;
            unlinkSync(p('vanish'));
            truncateSync(p('shrink'), 100);
            writeFileSync(p('text'), 'now a text file\n');
            unlinkSync(p('fifo'));
            execFileSync('mkfifo', [p('fifo')]);
            unlinkSync(p('dir'));
            mkdirSync(p('dir'));
          }
        }
      }
    })();
    // A scan that opened a FIFO would block forever: fail loudly instead of hanging the suite.
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the scan hung (a file replaced by a FIFO?)')), 120_000);
    });
    try {
      await Promise.race([scan, hang]);
    } finally {
      clearTimeout(timer);
    }
    const outcomes: Record<string, Record<string, number>> = {};
    for (const kind of kinds) {
      for (let i = 0; i < n; i += 1) {
        const r = records.get(`${kind}-${i}.jpg`);
        const key = !r ? 'unlisted' : r.kind === 'error' ? (r.errorCode ?? 'NO CODE') : r.kind;
        outcomes[kind] = { ...outcomes[kind], [key]: (outcomes[kind]?.[key] ?? 0) + 1 };
        if (kind === 'stable') expect(r?.kind, `stable-${i}`).toBe('ok');
        if (r?.kind === 'error') expect(ERROR_CODES).toContain(r.errorCode);
        if (kind === 'vanish' && r?.kind === 'error') expect(r.errorCode).toBe('vanished');
      }
    }
    console.log(
      `hostile-folders: ${kinds.length * n} files changed under a running scan, finished: ${JSON.stringify(outcomes)}`,
    );
  });
});
