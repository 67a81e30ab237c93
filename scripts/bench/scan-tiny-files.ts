// Tiny distinct image files for the large-scan benchmark (scan.ts --tiny): 8×8 grey PNGs written byte by byte
// (no encoder in the loop), each with its own pixels so every file has its own content hash, in nested folders
// of at most 1,000 files (class/part/file.png).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const SIDE = 8;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 8×8 8-bit grey PNG whose pixels encode `n` (and a gradient), so no two files share bytes. */
export function tinyPng(n: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIDE, 0);
  ihdr.writeUInt32BE(SIDE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(SIDE * (SIDE + 1));
  for (let y = 0; y < SIDE; y++) {
    raw[y * (SIDE + 1)] = 0; // filter: none
    for (let x = 0; x < SIDE; x++) raw[y * (SIDE + 1) + 1 + x] = (x * 16 + y * 8) & 0xff;
  }
  // The first row carries n's bytes: distinct content for every file.
  for (let b = 0; b < 4; b++) raw[1 + b] = (n >>> (8 * b)) & 0xff;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes n tiny PNGs under root in `classes` class folders; returns the number written. */
export async function generateTinyPngs(root: string, n: number, classes = 10): Promise<number> {
  const perPart = 1000;
  let written = 0;
  for (let part = 0; part * perPart < n; part++) {
    const dir = join(root, `class-${part % classes}`, `part-${String(part).padStart(5, '0')}`);
    await mkdir(dir, { recursive: true });
    const count = Math.min(perPart, n - part * perPart);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const id = part * perPart + i;
      writes.push(writeFile(join(dir, `img-${id}.png`), tinyPng(id)));
    }
    await Promise.all(writes);
    written += count;
  }
  return written;
}
