// `npm run bench:map`: frames per second while panning the embeddings map with 100,000 points, in Debian's
// Chromium driven by Playwright (headless, --disable-gpu: the canvas is rendered in software, as in e2e). The
// built renderer (renderer/dist) talks to the real HTTP bridge; behind it, the renderer's fake services answer
// curation.map with N generated points in clusters (classes, scores, flags, decisions), so only the map's
// drawing is measured. In the page, one shift-drag pan step is dispatched on every animation frame for
// `--seconds`; the canvas counts the frames it really drew (data-frames).
//   node bin/run-ts.js scripts/bench/map-fps.ts [--points 100000] [--seconds 5]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { FakeApi } from '../../renderer/src/dev/fake-api.js';
import type { MapPointInfo, MapReport } from '../../src/shared/curation-dto.js';
import { createRng } from '../../src/shared/random.js';
import { startServer } from '../../src/server/index.js';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/hosts.js';
import { machineLine } from './machine.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
  },
});
const n = Number(values.points);
const seconds = Number(values.seconds);
const staticDir = join(process.cwd(), 'renderer', 'dist');
if (!existsSync(join(staticDir, 'index.html'))) {
  console.error('renderer/dist is missing: run `npx vite build --config renderer/vite.config.ts` first');
  process.exit(2);
}

/** Twelve Gaussian clusters, as a UMAP of ten classes plus some OOD tends to look. */
function generateMap(count: number): MapReport {
  const rand = createRng(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 12 }, () => [rand() * 20, rand() * 14] as const);
  const decisions = ['keep', 'reject', 'relabel', 'unsure'] as const;
  const points: MapPointInfo[] = Array.from({ length: count }, (_, i) => {
    const c = i % centres.length;
    const score = c >= 10 ? 0.6 + 0.4 * rand() : 0.5 * rand() ** 2;
    return {
      imageId: i + 1,
      x: centres[c]![0] + gauss() * 0.8,
      y: centres[c]![1] + gauss() * 0.8,
      path: `/bench/images/c${c}/img-${i}.png`,
      class: c < 10 ? `class-${c}` : null,
      score,
      flagged: score > 0.55,
      decision: i % 50 === 0 ? decisions[(i / 50) % 4]! : null,
      quality: [],
    };
  });
  return { runId: 1, method: 'umap', scorer: 'ssod', points };
}

/** In the page: pan with one pointer move per animation frame; frames drawn and frame intervals. */
const PAN_PROBE = `(async (seconds) => {
  const canvas = document.querySelector('[data-testid="map-canvas"]');
  const r = canvas.getBoundingClientRect();
  const at = (t) => ({ clientX: r.left + r.width / 2 + 150 * Math.sin(t / 400), clientY: r.top + r.height / 2 + 100 * Math.cos(t / 300) });
  const ev = (type, t) => new PointerEvent(type, { ...at(t), shiftKey: true, button: 0, buttons: 1, pointerId: 1, bubbles: true });
  const frames0 = Number(canvas.dataset.frames);
  canvas.dispatchEvent(ev('pointerdown', 0));
  const intervals = [];
  const start = performance.now();
  await new Promise((done) => {
    let last = start;
    const step = (now) => {
      intervals.push(now - last);
      last = now;
      canvas.dispatchEvent(ev('pointermove', now - start));
      if (now - start < seconds * 1000) requestAnimationFrame(step);
      else done();
    };
    requestAnimationFrame(step);
  });
  canvas.dispatchEvent(ev('pointerup', 0));
  const elapsed = (performance.now() - start) / 1000;
  const drawn = Number(canvas.dataset.frames) - frames0;
  intervals.sort((a, b) => a - b);
  return { fps: drawn / elapsed, drawn, elapsed, p95: intervals[Math.floor(intervals.length * 0.95)], worst: intervals.at(-1) };
})`;

interface PanResult {
  fps: number;
  drawn: number;
  elapsed: number;
  p95: number;
  worst: number;
}

async function pan(page: Page, label: string): Promise<string> {
  const r = await page.evaluate<PanResult>(`${PAN_PROBE}(${seconds})`);
  return (
    `${label}: ${r.fps.toFixed(1)} frames/s (${r.drawn} frames drawn in ${r.elapsed.toFixed(1)} s; ` +
    `frame interval p95 ${r.p95.toFixed(1)} ms, worst ${r.worst.toFixed(1)} ms)   target ≥ 30 frames/s`
  );
}

async function openMap(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const t0 = Date.now();
  await page.getByTestId('nav-map').click();
  await page.waitForFunction(
    `document.querySelector('[data-testid="map-count"]')?.textContent.startsWith('${n.toLocaleString('en-US')}') &&
     Number(document.querySelector('[data-testid="map-canvas"]')?.dataset.frames) > 0`,
    undefined,
    { timeout: 120_000 },
  );
  return Date.now() - t0;
}

async function main() {
  const api = new FakeApi({ images: 200, tickMs: 50 });
  api.populate('/bench/project');
  const report = generateMap(n);
  Object.assign(api.curation, { map: () => Promise.resolve(report) });
  const thumb = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .png()
    .toBuffer();
  const images = () => Promise.resolve({ body: thumb, contentType: 'image/png' });
  const server = await startServer({ api, events: api, images, staticDir });
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const openMs = await openMap(page, server.url);
    const lines = [await pan(page, 'pan, coloured by class, whole map')];
    await page.getByTestId('map-colour-by').selectOption('score');
    lines.push(await pan(page, 'pan, coloured by score, whole map'));
    await page.getByTestId('map-canvas').focus();
    for (let i = 0; i < 8; i++) await page.keyboard.press('+');
    lines.push(await pan(page, 'pan, coloured by score, zoomed in ×6'));
    console.log(
      `bench:map — ${n.toLocaleString('en-US')} points, Chromium ${browser.version()} headless (--disable-gpu), 1280x800`,
    );
    console.log(machineLine());
    console.log(`command: node bin/run-ts.js scripts/bench/map-fps.ts --points ${n} --seconds ${seconds}`);
    console.log(`map view opened and first frame drawn (points over the HTTP bridge + colouring): ${openMs} ms`);
    for (const l of lines) console.log(l);
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
