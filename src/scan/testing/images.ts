// Image fixtures generated on the fly (tests and benchmarks): nothing binary is committed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Deterministic pseudo-random noise so JPEGs have realistic sizes (flat colour compresses to nothing). */
export function noise(width: number, height: number, channels: number, seed: number, amplitude = 63): Buffer {
  const out = Buffer.allocUnsafe(width * height * channels);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i += 1) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    // Smooth-ish: mix a gradient with noise, like a photo more than static.
    out[i] = (((i / channels) % width) + (s & amplitude)) & 255;
  }
  return out;
}

export async function jpeg(width: number, height: number, seed = 1, quality = 85): Promise<Buffer> {
  return sharp(noise(width, height, 3, seed), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

export async function encode(
  format: 'png' | 'webp' | 'gif' | 'tiff' | 'avif',
  width: number,
  height: number,
  seed = 1,
  channels: 1 | 3 = 3,
): Promise<Buffer> {
  const s = sharp(noise(width, height, channels, seed), { raw: { width, height, channels } });
  switch (format) {
    case 'png':
      return s.png().toBuffer();
    case 'webp':
      return s.webp().toBuffer();
    case 'gif':
      return s.gif().toBuffer();
    case 'tiff':
      return s.tiff().toBuffer();
    case 'avif':
      return s.avif({ effort: 0 }).toBuffer();
  }
}

/** A JPEG stored landscape (w×h) with EXIF orientation 6, i.e. displayed rotated 90° (h×w). */
export async function rotatedJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(noise(width, height, 3, 7), { raw: { width, height, channels: 3 } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A small, well-formed PNG whose IHDR claims width×height (a decompression bomb's header). */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A minimal BMP header (a format libvips could only read through ImageMagick, which we refuse). */
export function bmpHeader(): Buffer {
  const b = Buffer.alloc(70);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(70, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(2, 18);
  b.writeInt32LE(2, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

/** Complete files with damaged bytes in the middle; their end markers stay, so they are corrupt, not truncated. */
export function corruptMiddle(data: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(data);
  for (let i = from; i < Math.min(to, out.length - 16); i += 1) out[i] = 0x00;
  return out;
}

/**
 * Writes n distinct ~640×480 JPEGs (about 60 KB each) into `dir`, spread over `classes` subfolders when given.
 * Shared with the scan benchmark. Returns the file paths.
 */
export async function generateJpegs(
  dir: string,
  n: number,
  options: { width?: number; height?: number; classes?: number } = {},
): Promise<string[]> {
  const { width = 640, height = 480, classes = 0 } = options;
  // Low-amplitude noise on a gradient: ~60-70 KB at quality 85, about what a 640×480 photo weighs.
  const base = noise(width, height, 3, 99, 15);
  const paths: string[] = [];
  for (let c = 0; c < Math.max(1, classes); c += 1)
    await mkdir(classes ? join(dir, `class-${c}`) : dir, { recursive: true });
  for (let i = 0; i < n; i += 1) {
    // Vary one band per image: every file is distinct (distinct sha256) at little generation cost.
    const pixels = Buffer.from(base);
    pixels.fill(i & 255, (i % 100) * 3 * width, ((i % 100) + 4) * 3 * width);
    pixels.writeUInt32LE(i, 0);
    const data = await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const path = classes ? join(dir, `class-${i % classes}`, `img-${i}.jpg`) : join(dir, `img-${i}.jpg`);
    await writeFile(path, data);
    paths.push(path);
  }
  return paths;
}
