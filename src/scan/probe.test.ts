import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeFile } from './probe.js';
import { ScanFailure, fsFailure } from './failure.js';
import { sniff, hasEndMarker } from './sniff.js';
import { walk } from './walk.js';
import { encode, jpeg, pngClaiming } from './testing/images.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ssod-probe-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScanFailure) return error.code;
    throw error;
  }
  return 'no failure';
}

describe('probeFile', () => {
  it('reports a file that disappears between the walk and the read as vanished', async () => {
    const dir = join(base, 'vanish');
    await (await import('node:fs/promises')).mkdir(dir);
    await writeFile(join(dir, 'a.jpg'), await jpeg(16, 16));
    const entries = [];
    for await (const e of walk(dir)) entries.push(e);
    await unlink(join(dir, 'a.jpg'));
    const entry = entries[0]!;
    expect(entry.type).toBe('file');
    if (entry.type !== 'file') return;
    expect(await failureOf(probeFile(entry.openPath, { thumbDir: join(base, 'thumbs') }))).toBe('vanished');
  });

  it('applies custom limits before decoding', async () => {
    const path = join(base, 'wide.png');
    await writeFile(path, await encode('png', 400, 10));
    const limits = { maxPixels: 1_000_000, maxSide: 300, maxBytes: 1 << 20 };
    expect(await failureOf(probeFile(path, { thumbDir: join(base, 'thumbs'), limits }))).toBe('too-large');
    const bomb = join(base, 'bomb.png');
    await writeFile(bomb, pngClaiming(20_000, 20_000)); // 400 MP, sides within 30,000
    let decodes = 0;
    const code = await failureOf(probeFile(bomb, { thumbDir: join(base, 'thumbs'), onDecode: () => (decodes += 1) }));
    expect([code, decodes]).toEqual(['too-large', 0]);
  });

  it('refuses files over the byte limit without reading them', async () => {
    const path = join(base, 'big.jpg');
    await writeFile(path, await jpeg(64, 64));
    const limits = { maxPixels: 1e6, maxSide: 1000, maxBytes: 100 };
    expect(await failureOf(probeFile(path, { thumbDir: join(base, 'thumbs'), limits }))).toBe('too-large');
  });
});

describe('sniff', () => {
  it('accepts only the formats we decode and names refused ones', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toEqual({ kind: 'accepted', format: 'jpeg' });
    expect(sniff(Buffer.from('%PDF-1.7'))).toEqual({ kind: 'refused', format: 'pdf' });
    expect(sniff(Buffer.from('\uFEFF  <svg xmlns="x">'))).toEqual({ kind: 'refused', format: 'svg' });
    expect(sniff(Buffer.from('<!DOCTYPE html><html>'))).toEqual({ kind: 'unknown' });
    const heic = Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1');
    expect(sniff(heic)).toEqual({ kind: 'refused', format: 'heic' });
    const avif = Buffer.from('\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf', 'latin1');
    expect(sniff(avif)).toEqual({ kind: 'accepted', format: 'heif' });
  });

  it('tells complete files from cut ones by their end marker', async () => {
    const j = await jpeg(32, 32);
    expect(hasEndMarker('jpeg', j)).toBe(true);
    expect(hasEndMarker('jpeg', j.subarray(0, j.length - 10))).toBe(false);
    const p = await encode('png', 32, 32);
    expect(hasEndMarker('png', p)).toBe(true);
    expect(hasEndMarker('png', p.subarray(0, p.length - 20))).toBe(false);
  });
});

describe('fsFailure', () => {
  it('maps errno codes to reason codes', () => {
    const err = (code: string): Error => Object.assign(new Error(code), { code });
    expect(fsFailure(err('EACCES'), 'x').code).toBe('permission-denied');
    expect(fsFailure(err('ENOENT'), 'x').code).toBe('vanished');
    expect(fsFailure(err('ELOOP'), 'x').code).toBe('vanished');
    expect(fsFailure(err('EIO'), 'x').code).toBe('io-error');
  });
});
