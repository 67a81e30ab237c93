// The bad-image corpus of bad-images.test.ts: crafted files of many kinds plus seeded random mutations of valid
// images. Each crafted file carries the outcome it may have ('ok', or the reason codes it may end with), so the
// test checks more than "did not crash".
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { encode, jpeg, noise, pngClaiming, rotatedJpeg } from '../../../src/scan/testing/images.js';
import type { Rng } from './rng.js';

export type Expect = 'ok' | 'error' | 'any';
export interface CorpusFile {
  rel: string;
  kind: string;
  expect: Expect;
}

const EVIL_SVG =
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="alert(1)">' +
  '<script>fetch("http://127.0.0.1/x")</script><image href="file:///etc/passwd"/></svg>';

/** A minimal animated GIF (1×1, `frames` frames, looping), written by hand so it really has several pages. */
export function animatedGif(frames: number): Buffer {
  const parts: number[] = [...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, 255, 255, 255, 0, 0, 0];
  parts.push(0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0);
  for (let f = 0; f < frames; f += 1) {
    parts.push(0x21, 0xf9, 4, 0, 10, 0, 0, 0); // 100 ms per frame
    parts.push(0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0);
  }
  parts.push(0x3b);
  return Buffer.from(parts);
}

const raw = (w: number, h: number, channels: 1 | 3 | 4, seed: number): ReturnType<typeof sharp> =>
  sharp(noise(w, h, channels, seed), { raw: { width: w, height: h, channels } });

/** Valid images the mutations start from (small, so thousands decode quickly). */
export async function validSeeds(): Promise<{ name: string; data: Buffer }[]> {
  return [
    { name: 'jpg', data: await jpeg(64, 48, 11) },
    { name: 'png', data: await encode('png', 48, 64, 12) },
    { name: 'webp', data: await encode('webp', 64, 64, 13) },
    { name: 'gif', data: await encode('gif', 40, 40, 14) },
    { name: 'tiff', data: await encode('tiff', 32, 32, 15) },
    { name: 'avif', data: await encode('avif', 32, 32, 16) },
  ];
}

/** Crafted files: `perKind` variants of each kind (seeded). */
export async function writeCrafted(dir: string, r: Rng, perKind: number): Promise<CorpusFile[]> {
  await mkdir(dir, { recursive: true });
  const seeds = await validSeeds();
  const out: CorpusFile[] = [];
  const put = async (kind: string, i: number, ext: string, data: Buffer | string, expect: Expect): Promise<void> => {
    const rel = `${kind}-${i}.${ext}`;
    await writeFile(join(dir, rel), data);
    out.push({ rel, kind, expect });
  };
  for (let i = 0; i < perKind; i += 1) {
    const s = r.pick(seeds);
    const cut = r.int(1, s.data.length - 2);
    await put('truncated', i, s.name, s.data.subarray(0, cut), 'any');
    await put('zero-bytes', i, r.pick(['jpg', 'png', 'webp']), Buffer.alloc(0), 'error');
    const wrong = Buffer.from(s.data);
    wrong.writeUInt32BE(r.int(0, 0xffffffff) >>> 0, 0); // the first four bytes no longer say what it is
    await put('wrong-magic', i, s.name, wrong, 'error');
    const side = r.int(30_000, 1_000_000);
    await put('huge-dimensions', i, 'png', pngClaiming(side, r.int(30_000, 1_000_000)), 'error');
    await put(
      'one-pixel',
      i,
      r.pick(['png', 'jpg']),
      await raw(1, 1, 3, i)
        .toFormat(r.pick(['png', 'jpeg']))
        .toBuffer(),
      'ok',
    );
    await put(
      'png-16-bit',
      i,
      'png',
      await raw(20 + i, 17, 3, i)
        .toColourspace('rgb16')
        .png()
        .toBuffer(),
      'ok',
    );
    await put(
      'cmyk-jpeg',
      i,
      'jpg',
      await raw(24, 20 + i, 3, i)
        .toColourspace('cmyk')
        .jpeg()
        .toBuffer(),
      'ok',
    );
    await put('grayscale', i, r.pick(['png', 'jpg']), await encode('png', 30, 20 + i, i, 1), 'ok');
    await put(
      'alpha',
      i,
      r.pick(['png', 'webp']),
      await raw(25, 25 + i, 4, i)
        .toFormat(r.pick(['png', 'webp']))
        .toBuffer(),
      'ok',
    );
    await put('animated-gif', i, 'gif', animatedGif(2 + (i % 5)), 'ok');
    await put('exif-rotated', i, 'jpg', await rotatedJpeg(40 + i, 20), 'ok');
    await put('svg-script', i, r.pick(['svg', 'jpg', 'png']), EVIL_SVG, 'error');
    await put('text-as-jpg', i, 'jpg', `just text, line ${i}\n`.repeat(i + 1), 'error');
    await put('html-as-png', i, 'png', `<!doctype html><script>alert(${i})</script>`, 'error');
    await put(
      'random-bytes',
      i,
      r.pick(['jpg', 'png', 'gif']),
      Buffer.from(Array.from({ length: r.int(1, 4096) }, () => r.int(0, 255))),
      'error',
    );
    await put('pdf-as-jpg', i, 'jpg', `%PDF-1.4\n${'x'.repeat(i * 10)}\n%%EOF\n`, 'error');
    await put('header-only', i, s.name, s.data.subarray(0, Math.min(s.data.length - 1, r.int(4, 24))), 'error');
  }
  return out;
}

/** n copies of valid images, each damaged by a few seeded byte flips, truncations or insertions. */
export async function writeMutants(dir: string, r: Rng, n: number): Promise<CorpusFile[]> {
  await mkdir(dir, { recursive: true });
  const seeds = await validSeeds();
  const out: CorpusFile[] = [];
  for (let i = 0; i < n; i += 1) {
    const s = seeds[i % seeds.length] as { name: string; data: Buffer };
    let data = Buffer.from(s.data);
    const edits = r.int(1, 4);
    for (let e = 0; e < edits; e += 1) {
      const op = r.int(0, 2);
      const at = r.int(0, data.length - 1);
      if (op === 0) {
        for (let k = r.int(1, 8); k > 0; k -= 1) {
          const p = r.int(0, data.length - 1);
          data[p] = (data[p] as number) ^ (1 << r.int(0, 7));
        }
      } else if (op === 1 && data.length > 2) data = data.subarray(0, Math.max(1, at));
      else
        data = Buffer.concat([
          data.subarray(0, at),
          Buffer.from(Array.from({ length: r.int(1, 64) }, () => r.int(0, 255))),
          data.subarray(at),
        ]);
    }
    const rel = `m-${i}.${s.name}`;
    await writeFile(join(dir, rel), data);
    out.push({ rel, kind: `mutant-${s.name}`, expect: 'any' });
  }
  return out;
}
