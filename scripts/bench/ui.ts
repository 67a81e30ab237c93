// `npm run bench:ui`: time to first paint of the review grid, and time to apply a sort or a threshold change,
// on a 100,000-image project, in Debian's Chromium driven by Playwright, plus blank tiles while scrolling at
// 60 rows/s. The built renderer (renderer/dist) talks to the real HTTP bridge (src/server) over the real
// transport. By default the services behind it are the real ones (src/services) on a real project in a temp
// folder: its project.db holds N generated rows, a finished run with every scorer, flags and some decisions
// (scripts/bench/ui-project.ts), so the figures include SQLite. `--fake` puts the renderer's in-memory
// generated-row fake behind the bridge instead (the UI's and the bridge's share alone). Thumbnails repeat.
// `--project DIR` keeps the generated project in DIR and reuses it on the next run of the same size; `--trace`
// prints every service call of each first paint and of the first sort and scorer change, timed (ui-trace.ts).
//   node bin/run-ts.js scripts/bench/ui.ts [--images 100000] [--runs 5] [--fake] [--project DIR] [--trace]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startServer, type ServerOptions } from '../../src/server/index.js';
import { FakeApi } from '../../renderer/src/dev/fake-api.js';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/hosts.js';
import { machineLine } from './machine.js';
import { createUiProject } from './ui-project.js';
import { formatTrace, traceApi, type ApiTrace } from './ui-trace.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    fake: { type: 'boolean', default: false },
    project: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});
const fake = values.fake;
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

type Backend = Pick<ServerOptions, 'api' | 'events' | 'images'> & { describe: string; dispose(): Promise<void> };

/** The renderer's in-memory fake (rows in a JS array) and one PNG for every thumbnail. */
async function fakeBackend(): Promise<Backend> {
  const t0 = performance.now();
  const api = new FakeApi({ images, tickMs: 50 });
  api.populate('/bench/project');
  await api.settings.set({ reviewer: 'bench', theme: 'light' });
  await api.images.list({ sortBy: 'ssod', order: 'desc', limit: 1 }); // warm the default ordering, as SQLite's index would be
  const genMs = performance.now() - t0;
  const thumb = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .png()
    .toBuffer();
  return {
    api,
    events: api,
    images: () => Promise.resolve({ body: thumb, contentType: 'image/png' }),
    describe: `in-memory generated rows (renderer/src/dev/fake-api.ts), generated in ${genMs.toFixed(0)} ms`,
    dispose: () => Promise.resolve(),
  };
}

/** The real services on a real project (SQLite) with generated rows, run and decisions. */
async function realBackend(): Promise<Backend> {
  const project = await createUiProject(images, values.project);
  const { services } = project;
  return {
    api: services.api,
    events: services.bus,
    images: (variant, id) => services.images(variant, id),
    describe:
      `real services (src/services) on a real project in ${project.projectDir}: ` +
      `${project.images.toLocaleString('en-US')} rows, ${project.scored.toLocaleString('en-US')} scored by ` +
      `${project.scorers.join(', ')}, ${project.decisions.toLocaleString('en-US')} decisions; ` +
      (project.reused ? 'kept from an earlier run' : `generated in ${(project.generateMs / 1000).toFixed(1)} s`),
    dispose: () => project.dispose(),
  };
}

interface Scroll {
  frames: number;
  blankFrames: number;
  blankTiles: number;
  tilesSeen: number;
  rows: number;
}

interface Figures {
  firstPaint: number[];
  sorts: number[];
  scorerSorts: number[];
  live: number[];
  committed: number[];
  scroll: Scroll;
}

const bench = (expr: string) => (page: Page) => page.evaluate(`window.__ssodBench.${expr}`);

/** Waits until the page has made no service call for a moment, then prints what it called (with --trace). */
async function printTrace(trace: ApiTrace | null, title: string): Promise<void> {
  if (!trace) return;
  await new Promise((resolve) => setTimeout(resolve, 1500)); // late calls (a debounced count) belong here too
  console.log(`trace — ${title}:\n${formatTrace(trace.take())}`);
}

/** A fresh page per run (no warm renderer state); the services' caches stay warm after the first. */
async function firstPaints(browser: Browser, url: string, trace: ApiTrace | null) {
  const probes = join(process.cwd(), 'scripts', 'bench', 'ui-probes.js');
  const firstPaint: number[] = [];
  let page: Page | null = null;
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript({ path: probes });
    page = await context.newPage();
    trace?.take();
    await page.goto(url, { waitUntil: 'commit' });
    firstPaint.push((await bench('firstPaint()')(page)) as number);
    await printTrace(trace, `first paint ${i + 1} (${firstPaint[i]!.toFixed(0)} ms)`);
    if (i < runs - 1) await context.close();
  }
  if (!page) throw new Error('no page');
  return { firstPaint, page };
}

async function interactions(page: Page, trace: ApiTrace | null): Promise<Omit<Figures, 'firstPaint'>> {
  const sorts: number[] = [];
  for (let i = 0; i < runs * 2; i++) {
    sorts.push((await bench(`sort('sort-order', '${i % 2 ? 'desc' : 'asc'}')`)(page)) as number);
    if (i === 0) await printTrace(trace, `first sort order change (${sorts[0]!.toFixed(0)} ms)`);
  }
  const scorerSorts: number[] = [];
  for (const scorer of ['msp', 'energy', 'knn', 'ssod', 'msp', 'ssod']) {
    scorerSorts.push((await bench(`sort('sort-by', '${scorer}')`)(page)) as number);
    if (scorerSorts.length === 1) await printTrace(trace, `first scorer change (${scorerSorts[0]!.toFixed(0)} ms)`);
  }
  const live: number[] = [];
  const committed: number[] = [];
  for (let i = 0; i < runs * 2; i++) {
    const r = (await bench(`threshold(${0.2 + 0.06 * i})`)(page)) as { live: number; committed: number };
    live.push(r.live);
    committed.push(r.committed);
    if (i === 0) await printTrace(trace, `first threshold commit (${r.committed.toFixed(0)} ms)`);
  }
  const scroll = (await bench('scroll(60, 4)')(page)) as Scroll;
  return { sorts, scorerSorts, live, committed, scroll };
}

function report(f: Figures, browserVersion: string, describe: string): void {
  const flags = `${fake ? ' --fake' : ''}${values.project ? ` --project ${values.project}` : ''}${values.trace ? ' --trace' : ''}`;
  console.log(
    `bench:ui — ${images.toLocaleString('en-US')} generated images, Chromium ${browserVersion} headless, 1280x800`,
  );
  console.log(machineLine());
  console.log(`command: node bin/run-ts.js scripts/bench/ui.ts --images ${images} --runs ${runs}${flags}`);
  console.log(`backend: src/server HTTP bridge + ${describe}`);
  console.log(
    `first grid paint (navigation → first page of tiles + first thumbnail): ${fmt(f.firstPaint)}   target ≤ 1500 ms`,
  );
  console.log(`sort order change (→ new first page painted): ${fmt(f.sorts)}   target ≤ 300 ms`);
  console.log(`sort scorer change (→ new first page painted): ${fmt(f.scorerSorts)}   target ≤ 300 ms`);
  console.log(`threshold drag (live flagged count, next frame): ${fmt(f.live)}`);
  console.log(`threshold commit (exact flagged count from the service): ${fmt(f.committed)}   target ≤ 200 ms`);
  const s = f.scroll;
  console.log(
    `scroll at 60 rows/s for 4 s: ${s.rows} rows, ${s.frames} frames, frames with a blank tile ${s.blankFrames} ` +
      `(${((100 * s.blankFrames) / Math.max(1, s.frames)).toFixed(1)}%), blank tile-frames ${s.blankTiles}/${s.tilesSeen}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

async function main() {
  const backend = fake ? await fakeBackend() : await realBackend();
  const trace = values.trace ? traceApi(backend.api) : null;
  const cleanup: (() => Promise<void>)[] = [() => backend.dispose()];
  try {
    const api = trace?.api ?? backend.api;
    const server = await startServer({ api, events: backend.events, images: backend.images, staticDir });
    cleanup.unshift(() => server.close());
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    cleanup.unshift(() => browser.close());
    console.log(
      `load average at the start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const { firstPaint, page } = await firstPaints(browser, server.url, trace);
    const rest = await interactions(page, trace);
    report({ firstPaint, ...rest }, browser.version(), backend.describe);
  } finally {
    for (const step of cleanup) await step();
  }
}

await main();
