import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, readdir, readFile, lstat, writeFile, chmod, unlink, utimes } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { scanFolder, scanFolderBatches, createCounters } from './scanner.js';
import type { FileRecord, ScanProgress, SkippedEntry } from './scanner.js';
import { thumbPath } from './thumbnails.js';
import { buildHostileTree } from './testing/hostile-tree.js';
import type { HostileTree } from './testing/hostile-tree.js';
import { generateJpegs, jpeg } from './testing/images.js';
import { isAppError } from '../shared/errors.js';

/** Every entry under dir (no symlink following): name, type, size, mtime and content hash of regular files. */
async function fingerprint(dir: string): Promise<string> {
  const lines: string[] = [];
  async function visit(d: Buffer): Promise<void> {
    const names = (await readdir(d, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
    for (const name of names) {
      const p = Buffer.concat([d, Buffer.from('/'), name]);
      const st = await lstat(p);
      let content = '';
      if (st.isFile())
        content = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
      lines.push(`${p.toString('base64')} ${st.mode} ${st.size} ${st.mtimeMs} ${content}`);
      if (st.isDirectory()) await visit(p);
    }
  }
  await visit(Buffer.from(dir));
  return lines.join('\n');
}

async function collect(
  root: string,
  opts: Partial<Parameters<typeof scanFolder>[1]> & { thumbDir: string },
): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for await (const r of scanFolder(root, { role: 'train', known: () => undefined, ...opts })) out.push(r);
  return out;
}

function countCodes(records: FileRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) if (r.kind === 'error') counts[r.errorCode!] = (counts[r.errorCode!] ?? 0) + 1;
  return counts;
}

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ssod-scan-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('scanFolder on a hostile tree', () => {
  let tree: HostileTree;
  let records: FileRecord[];
  let skipped: SkippedEntry[];
  let before: string;
  let thumbDir: string;
  const counters = createCounters();
  const progress: ScanProgress[] = [];

  beforeAll(async () => {
    tree = await buildHostileTree(join(base, 'hostile'));
    thumbDir = join(base, 'hostile-cache', 'thumbs');
    before = await fingerprint(tree.root);
    skipped = [];
    records = await collect(tree.root, {
      thumbDir,
      counters,
      concurrency: 3,
      onSkip: (s) => skipped.push(s),
      onProgress: (p) => progress.push(p),
    });
  });

  it('records every file exactly once with the expected reason codes', () => {
    expect(countCodes(records)).toEqual(tree.expectErrors);
    expect(records.filter((r) => r.kind === 'ok')).toHaveLength(tree.expectOk);
    const relPaths = records.map((r) => r.relPath);
    expect(new Set(relPaths).size).toBe(relPaths.length);
    expect(counters.errors).toEqual(tree.expectErrors);
    expect(counters.ok).toBe(tree.expectOk);
  });

  it('reports symlinks it does not follow and never leaves the root', () => {
    const reasons: Record<string, number> = {};
    for (const s of skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
    expect(reasons).toEqual(tree.expectSkipped);
    expect(records.some((r) => r.relPath.includes('secret'))).toBe(false);
    expect(records.some((r) => r.relPath.startsWith('links/'))).toBe(false);
  });

  it('maps specific files to specific codes', () => {
    const byPath = new Map(records.map((r) => [r.relPath, r]));
    expect(byPath.get('bad/bomb.png')?.errorCode).toBe('too-large');
    expect(byPath.get('bad/evil-svg.jpg')?.errorCode).toBe('unsupported-format');
    expect(byPath.get('bad/notes.jpg')?.errorCode).toBe('not-an-image');
    expect(byPath.get('bad/pipe.jpg')?.errorMessage).toMatch(/fifo/);
    expect(byPath.get('bad/truncated.png')?.errorCode).toBe('truncated');
    expect(byPath.get('bad/corrupt.png')?.errorCode).toBe('not-an-image');
    const latin1 = byPath.get('bad/latin1-%E9%FF.jpg');
    expect(latin1?.errorCode).toBe('invalid-utf8-name');
    expect(Buffer.from(latin1!.relPathBase64!, 'base64')).toEqual(
      Buffer.concat([Buffer.from('bad/latin1-'), Buffer.from([0xe9, 0xff]), Buffer.from('.jpg')]),
    );
    expect(byPath.get('bad/dir-%FE')?.isDirectory).toBe(true);
    expect(records.some((r) => r.relPath.endsWith('inside.jpg'))).toBe(false);
  });

  it('takes the class from the first-level folder', () => {
    const byPath = new Map(records.map((r) => [r.relPath, r]));
    for (const [rel, cls] of Object.entries(tree.expectClass)) {
      expect(byPath.get(rel)?.kind, rel).toBe('ok');
      expect(byPath.get(rel)?.className, rel).toBe(cls);
    }
  });

  it('reads formats by content, sizes after EXIF rotation, one thumbnail per content', async () => {
    const byPath = new Map(records.map((r) => [r.relPath, r]));
    expect(byPath.get('dogs/a.gif')?.format).toBe('gif');
    expect(byPath.get('dogs/b.tiff')?.format).toBe('tiff');
    expect(byPath.get('dogs/c.avif')?.format).toBe('heif');
    expect(byPath.get('cats/grey.png')).toMatchObject({ format: 'png', width: 120, height: 80 });
    const rotated = byPath.get('dogs/rotated.jpg')!;
    expect([rotated.width, rotated.height]).toEqual([32, 64]);
    const thumb = await sharp(thumbPath(thumbDir, rotated.sha256!)).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 32, 64]);
    const big = await sharp(thumbPath(thumbDir, byPath.get('cats/ok1.jpg')!.sha256!)).metadata();
    expect([big.width, big.height]).toEqual([256, 192]);
    // ok1.jpg and its copy share a hash: one decode for both.
    expect(byPath.get('dogs/ok1-copy.jpg')!.sha256).toBe(byPath.get('cats/ok1.jpg')!.sha256);
    // Decoded: each distinct good image once, plus the two truncated files (their headers read fine).
    expect(counters.decoded).toBe(tree.expectOk - 1 + 2);
  });

  it('hashes the exact file content', async () => {
    const r = records.find((x) => x.relPath === 'cats/ok1.jpg')!;
    const expected = createHash('sha256')
      .update(await readFile(join(tree.root, 'cats/ok1.jpg')))
      .digest('hex');
    expect(r.sha256).toBe(expected);
  });

  it('reports progress with a counted total and ends at done', () => {
    expect(progress[0]?.phase).toBe('counting');
    const last = progress.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.done).toBe(records.length);
    expect(last.total).toBeGreaterThanOrEqual(records.length);
  });

  it('never writes into the source folder', async () => {
    expect(await fingerprint(tree.root)).toBe(before);
  });

  it('refuses a thumbnail folder inside the scanned root', async () => {
    await expect(collect(tree.root, { thumbDir: join(tree.root, 'cache') })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});

describe('incremental rescan', () => {
  it('opens and decodes only new or changed files; an unchanged tree is not opened at all', async () => {
    const root = join(base, 'incr', 'src');
    const thumbDir = join(base, 'incr', 'thumbs');
    const paths = await generateJpegs(root, 12, { width: 96, height: 64, classes: 3 });
    const first = await collect(root, { thumbDir });
    expect(first.filter((r) => r.kind === 'ok')).toHaveLength(12);
    const store = new Map(first.map((r) => [r.relPath, { size: r.size, mtimeMs: r.mtimeMs }]));
    const known = (rel: string): { size: number; mtimeMs: number } | undefined => store.get(rel);

    const warm = createCounters();
    const again = await collect(root, { thumbDir, known, counters: warm });
    expect(again.every((r) => r.kind === 'unchanged')).toBe(true);
    expect([warm.opened, warm.decoded, warm.unchanged]).toEqual([0, 0, 12]);

    // One file rewritten with new content, one touched (same content, new mtime), one added, one deleted.
    await writeFile(paths[0]!, await jpeg(96, 64, 1234));
    await utimes(paths[1]!, new Date(), new Date(Date.now() + 5000));
    await writeFile(join(root, 'class-0', 'new.jpg'), await jpeg(96, 64, 4321));
    await unlink(paths[2]!);
    const counters = createCounters();
    const third = await collect(root, { thumbDir, known, counters });
    expect(third).toHaveLength(12);
    expect(counters.opened).toBe(3);
    expect(counters.decoded).toBe(2); // the touched file's content already has a thumbnail
    expect(counters.unchanged).toBe(9);
  });
});

describe('batches and cancellation', () => {
  it('yields batches that add up to the whole scan', async () => {
    const root = join(base, 'batch', 'src');
    await generateJpegs(root, 7, { width: 32, height: 32 });
    const sizes: number[] = [];
    for await (const b of scanFolderBatches(root, {
      role: 'inbox',
      known: () => undefined,
      thumbDir: join(base, 'batch', 'thumbs'),
      batchSize: 3,
    }))
      sizes.push(b.length);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('stops with AppError cancelled; records already yielded are complete', async () => {
    const root = join(base, 'cancel', 'src');
    await generateJpegs(root, 20, { width: 32, height: 32 });
    const controller = new AbortController();
    const got: FileRecord[] = [];
    let error: unknown;
    try {
      for await (const r of scanFolder(root, {
        role: 'inbox',
        known: () => undefined,
        thumbDir: join(base, 'cancel', 'thumbs'),
        signal: controller.signal,
      })) {
        got.push(r);
        if (got.length === 5) controller.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'cancelled')).toBe(true);
    expect(got).toHaveLength(5);
    expect(got.every((r) => r.kind === 'ok' && r.sha256 && r.width === 32)).toBe(true);
  });
});

describe('permission-denied', () => {
  it('records an unreadable file and carries on', async () => {
    const root = join(base, 'perm', 'src');
    const thumbDir = join(base, 'perm', 'thumbs');
    await generateJpegs(root, 2, { width: 32, height: 32 });
    await writeFile(join(root, 'locked.jpg'), await jpeg(32, 32, 77));
    await chmod(join(root, 'locked.jpg'), 0o000);

    let records: FileRecord[];
    if (process.getuid?.() !== 0) {
      records = await collect(root, { thumbDir, role: 'inbox' });
    } else {
      // Root reads mode-000 files anyway, so scan as 'nobody' in a child process (root can drop privileges).
      for (const dir of [base, join(base, 'perm'), root]) await chmod(dir, 0o755);
      await chmod(join(base, 'perm'), 0o777);
      const child = spawnSync(
        process.execPath,
        [resolve('bin/run-ts.js'), resolve('src/scan/testing/scan-json.ts'), root, thumbDir],
        { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: base } },
      );
      if (child.error || child.status !== 0) {
        console.warn(
          `SKIPPED permission-denied case: cannot scan as an unprivileged user (${child.error?.message ?? child.stderr})`,
        );
        return;
      }
      records = child.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as FileRecord);
    }
    expect(countCodes(records)).toEqual({ 'permission-denied': 1 });
    expect(records.filter((r) => r.kind === 'ok')).toHaveLength(2);
  });
});
