// Far-OOD set: letters A-J rendered from the installed Debian fonts with ImageMagick into 28x28 grey PNGs,
// white on black like Fashion-MNIST (a notMNIST-like set nobody here drew). Needs
//   apt-get install -y imagemagick fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
// Usage: node bin/run-ts.js scripts/data/letters.ts OUT_DIR [--fonts dejavu] [--limit N]
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'];

/** TrueType/OpenType font files known to fontconfig, sorted; `filter` matches the path case-insensitively. */
export async function listFonts(filter?: string): Promise<string[]> {
  const { stdout } = await run('fc-list', [':', 'file']);
  const files = stdout
    .split('\n')
    .map((l) => l.replace(/:\s*$/, '').trim())
    .filter((f) => /\.(ttf|otf)$/i.test(f))
    .filter((f) => !filter || f.toLowerCase().includes(filter.toLowerCase()));
  return [...new Set(files)].sort();
}

export async function renderLetter(font: string, letter: string, file: string): Promise<void> {
  // Drawn large then fitted to 28x28 with a margin, so every font fills the frame alike.
  await run('convert', [
    '-background',
    'black',
    '-fill',
    'white',
    '-font',
    font,
    '-pointsize',
    '96',
    `label:${letter}`,
    '-trim',
    '+repage',
    '-resize',
    '22x22',
    '-gravity',
    'center',
    '-extent',
    '28x28',
    '-colorspace',
    'Gray',
    '-depth',
    '8',
    `PNG8:${file}`,
  ]);
}

/** Renders every letter in every matching font; returns the written files. */
export async function renderLetters(outDir: string, opts: { filter?: string; limit?: number } = {}): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const fonts = (await listFonts(opts.filter)).slice(0, opts.limit ?? Infinity);
  const jobs: [string, string, string][] = [];
  for (const font of fonts) {
    const name = basename(font, extname(font));
    for (const letter of LETTERS) jobs.push([font, letter, join(outDir, `${letter}-${name}.png`)]);
  }
  const files: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const [font, letter, file] = jobs[next++]!;
      try {
        await renderLetter(font, letter, file);
        files.push(file);
      } catch {
        // A font that ImageMagick cannot draw is skipped, not fatal: the set only needs many typefaces.
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return files.sort();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args[0];
  if (!out) throw new Error('usage: letters.ts OUT_DIR [--fonts FILTER] [--limit N]');
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const limit = opt('--limit');
  const files = await renderLetters(out, { filter: opt('--fonts'), limit: limit ? Number(limit) : undefined });
  console.log(`${files.length} letters written to ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
