// `npm run bench:ui`: time to first paint of the review grid, and time to apply a sort or a threshold change,
// on a 100,000-image project, in Debian's Chromium driven by Playwright, plus blank tiles while scrolling at
// 60 rows/s. The built renderer (renderer/dist) talks to the real HTTP bridge (src/server) over the real
// transport; the services behind it are the renderer's generated-row fake (100,000 rows, in memory), so the
// figures are the UI's and the bridge's, not SQLite's. Thumbnails repeat (one PNG).
//   node bin/run-ts.js scripts/bench/ui.ts [--images 100000] [--runs 5]
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startServer } from '../../src/server/index.js';
import { FakeApi } from '../../renderer/src/dev/fake-api.js';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/hosts.js';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } },
});
const images = Number(values.images);
const runs = Number(values.runs);
const staticDir = join(process.cwd(), 'renderer', 'dist');
if (!existsSync(join(staticDir, 'index.html'))) {
  console.error('renderer/dist is missing: run `npx vite build --config renderer/vite.config.ts` first');
  process.exit(2);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

async function main() {
  const t0 = performance.now();
  const api = new FakeApi({ images, tickMs: 50 });
  api.populate('/bench/project');
  await api.settings.set({ reviewer: 'bench', theme: 'light' });
  await api.images.list({ sortBy: 'ssod', order: 'desc', limit: 1 }); // warm the default ordering, as SQLite's index would be
  const genMs = performance.now() - t0;

  const thumb = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .png()
    .toBuffer();
  const server = await startServer({
    api,
    events: api,
    images: () => Promise.resolve({ body: thumb, contentType: 'image/png' }),
    staticDir,
  });
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const probes = join(process.cwd(), 'scripts', 'bench', 'ui-probes.js');
    const bench = (expr: string) => (page: Page) => page.evaluate(`window.__ssodBench.${expr}`);
    const firstPaint: number[] = [];
    let page: Page | null = null;
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript({ path: probes });
      page = await context.newPage();
      await page.goto(server.url, { waitUntil: 'commit' });
      firstPaint.push((await bench('firstPaint()')(page)) as number);
      if (i < runs - 1) await context.close();
    }
    if (!page) throw new Error('no page');

    const sorts: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      sorts.push((await bench(`sort('sort-order', '${i % 2 ? 'desc' : 'asc'}')`)(page)) as number);
    }
    const scorerSorts: number[] = [];
    for (const scorer of ['msp', 'energy', 'knn', 'ssod', 'msp', 'ssod']) {
      scorerSorts.push((await bench(`sort('sort-by', '${scorer}')`)(page)) as number);
    }
    const live: number[] = [];
    const committed: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      const r = (await bench(`threshold(${0.2 + 0.06 * i})`)(page)) as { live: number; committed: number };
      live.push(r.live);
      committed.push(r.committed);
    }
    const scroll = (await bench('scroll(60, 4)')(page)) as {
      frames: number;
      blankFrames: number;
      blankTiles: number;
      tilesSeen: number;
      rows: number;
    };

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `bench:ui — ${images.toLocaleString('en-US')} generated images, Chromium ${browser.version()} headless, 1280x800`,
    );
    console.log(
      `machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; command: node bin/run-ts.js scripts/bench/ui.ts --images ${images} --runs ${runs}`,
    );
    console.log(
      `backend: src/server HTTP bridge + in-memory generated rows (renderer/src/dev/fake-api.ts), generated in ${genMs.toFixed(0)} ms`,
    );
    console.log(
      `first grid paint (navigation → first page of tiles + first thumbnail): ${fmt(firstPaint)}   target ≤ 1500 ms`,
    );
    console.log(`sort order change (→ new first page painted): ${fmt(sorts)}   target ≤ 200 ms`);
    console.log(`sort scorer change (→ new first page painted): ${fmt(scorerSorts)}   target ≤ 200 ms`);
    console.log(`threshold drag (live flagged count, next frame): ${fmt(live)}`);
    console.log(`threshold commit (exact flagged count from the service): ${fmt(committed)}   target ≤ 200 ms`);
    console.log(
      `scroll at 60 rows/s for 4 s: ${scroll.rows} rows, ${scroll.frames} frames, frames with a blank tile ${scroll.blankFrames} ` +
        `(${((100 * scroll.blankFrames) / Math.max(1, scroll.frames)).toFixed(1)}%), blank tile-frames ${scroll.blankTiles}/${scroll.tilesSeen}`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
