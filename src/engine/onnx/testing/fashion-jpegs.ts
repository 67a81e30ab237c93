// Real photographs are not available offline; Fashion-MNIST (Debian's dataset-fashion-mnist, MIT) is. Its 28x28
// garments, upscaled to mixed sizes and saved as colour JPEGs, give real image content at realistic file sizes
// for the equality tests and the side-by-side benchmark.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

export const FASHION_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const SIDE = 28;

/** The test split's images as 28x28 grey bytes each. */
export function readFashionTest(path = FASHION_IMAGES): { count: number; pixels: Uint8Array } {
  let raw: Buffer;
  try {
    raw = gunzipSync(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read ${path}: apt-get install -y dataset-fashion-mnist`, { cause: e });
  }
  const count = raw.readUInt32BE(4);
  return { count, pixels: new Uint8Array(raw.buffer, raw.byteOffset + 16, count * SIDE * SIDE) };
}

/** Width and height of image `i`: sides from 96 to 1024 with aspect ratios 3:4 to 16:9, the same on every run. */
export function mixedSize(i: number): { width: number; height: number } {
  const sides = [96, 160, 240, 320, 480, 640, 800, 1024];
  const aspects = [1, 4 / 3, 3 / 4, 16 / 9, 3 / 2];
  const width = sides[(i * 7) % sides.length] as number;
  const height = Math.max(32, Math.round(width / (aspects[(i * 3) % aspects.length] as number)));
  return { width, height };
}

/** Writes `count` JPEGs (`fashion-00000.jpg`, ...) into `dir`, each tinted and resized to mixedSize(i). */
export async function writeFashionJpegs(dir: string, count: number, offset = 0): Promise<string[]> {
  const { count: available, pixels } = readFashionTest();
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const index = (offset + i) % available;
    const grey = Buffer.from(pixels.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE));
    const { width, height } = mixedSize(i);
    const tint = { r: 255 - ((i * 37) % 90), g: 255 - ((i * 53) % 90), b: 255 - ((i * 71) % 90) };
    const path = join(dir, `fashion-${String(i).padStart(5, '0')}.jpg`);
    await sharp(grey, { raw: { width: SIDE, height: SIDE, channels: 1 } })
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
      .toColourspace('srgb')
      .tint(tint)
      .jpeg({ quality: 88 })
      .toFile(path);
    paths.push(path);
  }
  return paths;
}
