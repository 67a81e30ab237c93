import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, mkdir, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walk, escapeName, countFiles } from './walk.js';
import type { WalkEntry } from './walk.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ssod-walk-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function all(root: string): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of walk(root)) out.push(e);
  return out;
}

describe('walk', () => {
  it('follows a link to a folder the plain walk cannot reach, once, and never loops', async () => {
    const root = join(base, 'loops');
    await mkdir(join(root, 'a/b'), { recursive: true });
    await writeFile(join(root, 'a/b/f.txt'), 'x');
    await symlink('../..', join(root, 'a/b/back')); // loop to the root
    await symlink('..', join(root, 'a/b/again')); // loop to the parent
    await symlink('b', join(root, 'a/alias')); // duplicate of a walked folder
    const entries = await all(root);
    const files = entries.filter((e) => e.type === 'file').map((e) => e.relPath);
    expect(files).toEqual(['a/b/f.txt']);
    const skipped = entries.filter((e) => e.type === 'skipped').map((e) => e.type === 'skipped' && e.reason);
    expect(skipped).toEqual(['symlink-already-walked', 'symlink-already-walked', 'symlink-already-walked']);
  });

  it('walks a linked folder under the link name when its real path is not walked (root itself linked in)', async () => {
    const target = join(base, 'real-root');
    await mkdir(join(target, 'x'), { recursive: true });
    await writeFile(join(target, 'x/1.jpg'), 'x');
    const linkedRoot = join(base, 'linked-root');
    await symlink(target, linkedRoot);
    const entries = await all(linkedRoot);
    const file = entries.find((e) => e.type === 'file');
    expect(file?.relPath).toBe('x/1.jpg');
    expect(file?.absPath).toBe(join(linkedRoot, 'x/1.jpg'));
    expect(await countFiles(linkedRoot)).toBe(1);
  });

  it('escapes names that are not UTF-8 reversibly', () => {
    expect(escapeName(Buffer.from([0x61, 0xff, 0x25, 0xc3, 0xa9]))).toBe('a%FF%25é');
    expect(escapeName(Buffer.from([0xe2, 0x82]))).toBe('%E2%82'); // cut multi-byte sequence
  });

  it('stops when the signal aborts', async () => {
    const root = join(base, 'abort');
    await mkdir(root);
    for (let i = 0; i < 5; i += 1) await writeFile(join(root, `${i}`), 'x');
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(async () => {
      for await (const e of walk(root, { signal: controller.signal })) {
        seen.push(e.relPath);
        controller.abort();
      }
    }).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});
