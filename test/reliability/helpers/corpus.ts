// Image folders for the reliability tests, generated on the fly (nothing binary is committed).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { noise } from '../../../src/scan/testing/images.js';

/** n distinct small JPEGs/PNGs spread over `classes` subfolders; returns their paths relative to dir. */
export async function writeSmallImages(
  dir: string,
  n: number,
  options: { classes?: number; size?: number; seed?: number } = {},
): Promise<string[]> {
  const { classes = 2, size = 48, seed = 1 } = options;
  const rel: string[] = [];
  for (let c = 0; c < classes; c += 1) await mkdir(join(dir, `class-${c}`), { recursive: true });
  const base = noise(size, size, 3, seed, 31);
  for (let i = 0; i < n; i += 1) {
    const pixels = Buffer.from(base);
    pixels.writeUInt32LE(i, 0); // distinct content, distinct sha256
    pixels.fill((i * 37) & 255, (i % (size - 2)) * 3 * size, ((i % (size - 2)) + 2) * 3 * size);
    const img = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
    const png = i % 3 === 0;
    const data = png ? await img.png().toBuffer() : await img.jpeg({ quality: 80 }).toBuffer();
    const path = join(`class-${i % classes}`, `img-${i}.${png ? 'png' : 'jpg'}`);
    await writeFile(join(dir, path), data);
    rel.push(path);
  }
  return rel;
}
