import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignNames, verifyExport, writeExport, type ExportEntry } from './write-export.js';

function makeSource(): { dir: string; entries: ExportEntry[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ssod-export-src-'));
  const entries: ExportEntry[] = [];
  const files = [
    ['cat/a.png', 'cat'],
    ['cat/b.png', 'cat'],
    ['dog/a.png', 'dog'],
    ['dog/c.png', 'dog'],
  ] as const;
  files.forEach(([rel, cls], i) => {
    mkdirSync(join(dir, cls), { recursive: true });
    const body = Buffer.from(`image ${i} ${rel}`);
    writeFileSync(join(dir, rel), body);
    entries.push({
      imageId: i + 1,
      srcPath: join(dir, rel),
      relPath: rel,
      // dog/a.png is relabelled to cat: its name clashes with cat/a.png.
      className: rel === 'dog/a.png' ? 'cat' : cls,
      originalClass: cls,
      sha256: createHash('sha256').update(body).digest('hex'),
      size: body.length,
      decision: rel === 'dog/a.png' ? 'relabel' : null,
      reviewer: rel === 'dog/a.png' ? 'ana' : null,
      decidedAt: null,
      note: null,
      scores: { ssod: i / 10 },
      runId: 1,
      role: 'train',
    });
  });
  return { dir, entries };
}

function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

describe('writeExport', () => {
  it('writes ImageFolder layout, manifests and a verifiable sha256 manifest; sources untouched', async () => {
    const { dir, entries } = makeSource();
    const before = treeHash(dir);
    const out = join(mkdtempSync(join(tmpdir(), 'ssod-export-out-')), 'dataset');
    const result = await writeExport({
      out,
      format: 'imagefolder',
      mode: 'copy',
      entries,
      decisionsJsonl: () => ['{"id":1}'],
      sourceFolders: [dir],
      projectInfo: { project: 'p' },
    });
    expect(result.images).toBe(4);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(['cat', 'dog']);
    expect(readdirSync(join(out, 'images', 'cat')).sort()).toEqual(['a.png', 'a~1.png', 'b.png']);
    const csv = readFileSync(join(out, 'manifest.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toContain('path,class,original_class,sha256');
    expect(csv).toHaveLength(5);
    const json = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { images: unknown[] };
    expect(json.images).toHaveLength(4);
    expect(readFileSync(join(out, 'decisions.jsonl'), 'utf8')).toBe('{"id":1}\n');
    expect(await verifyExport(out)).toMatchObject({ ok: true, checked: 4 + 3 });
    writeFileSync(join(out, 'images', 'cat', 'b.png'), 'tampered');
    expect(await verifyExport(out)).toMatchObject({ ok: false, mismatched: ['images/cat/b.png'] });
    expect(treeHash(dir)).toBe(before);
    expect(readdirSync(join(out, '..'))).toEqual(['dataset']);
  });

  it('hardlinks when asked', async () => {
    const { dir, entries } = makeSource();
    const out = join(mkdtempSync(join(tmpdir(), 'ssod-export-out-')), 'x');
    await writeExport({
      out,
      format: 'imagefolder',
      mode: 'hardlink',
      entries,
      decisionsJsonl: () => [],
      sourceFolders: [dir],
      projectInfo: {},
    });
    expect(statSync(join(out, 'images', 'cat', 'b.png')).nlink).toBe(2);
  });

  it('refuses OUT inside a source and a non-empty OUT, writing nothing', async () => {
    const { dir, entries } = makeSource();
    const before = treeHash(dir);
    const base = { format: 'imagefolder' as const, mode: 'copy' as const, entries, decisionsJsonl: () => [] };
    await expect(
      writeExport({ ...base, out: join(dir, 'export'), sourceFolders: [dir], projectInfo: {} }),
    ).rejects.toThrow(/inside/);
    expect(existsSync(join(dir, 'export'))).toBe(false);
    const full = mkdtempSync(join(tmpdir(), 'ssod-export-full-'));
    writeFileSync(join(full, 'keep.txt'), 'x');
    await expect(writeExport({ ...base, out: full, sourceFolders: [dir], projectInfo: {} })).rejects.toThrow(
      /not empty/,
    );
    expect(readdirSync(full)).toEqual(['keep.txt']);
    expect(treeHash(dir)).toBe(before);
  });

  it('leaves nothing at OUT when a file fails midway', async () => {
    const { dir, entries } = makeSource();
    const parent = mkdtempSync(join(tmpdir(), 'ssod-export-fail-'));
    const out = join(parent, 'x');
    const broken = entries.map((e, i) => (i === 2 ? { ...e, srcPath: join(dir, 'vanished.png') } : e));
    await expect(
      writeExport({
        out,
        format: 'imagefolder',
        mode: 'copy',
        entries: broken,
        decisionsJsonl: () => [],
        sourceFolders: [dir],
        projectInfo: {},
      }),
    ).rejects.toThrow(/failed/);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('assignNames', () => {
  it('is deterministic whatever the input order', () => {
    const { entries } = makeSource();
    const a = assignNames(entries);
    const b = assignNames([...entries].reverse());
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
  });
});

describe('abandoned staging folders', () => {
  it('are removed when their process is gone, and kept while it lives', async () => {
    const { dir, entries } = makeSource();
    const parent = mkdtempSync(join(tmpdir(), 'ssod-export-stale-'));
    const dead = join(parent, '.x.partial-999999999-abcd');
    const alive = join(parent, `.x.partial-${process.pid}-beef`);
    mkdirSync(dead);
    mkdirSync(alive);
    await writeExport({
      out: join(parent, 'x'),
      format: 'imagefolder',
      mode: 'copy',
      entries,
      decisionsJsonl: () => [],
      sourceFolders: [dir],
      projectInfo: {},
    });
    expect(readdirSync(parent).sort()).toEqual([`.x.partial-${process.pid}-beef`, 'x']);
  });
});
