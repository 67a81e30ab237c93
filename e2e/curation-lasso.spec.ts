// The map's lasso filters the review grid: lasso the left half of the map, and the grid shows exactly the
// lassoed images under a "selection: N images" chip; removing the chip shows every image again.
import { test, expect, type Page } from '@playwright/test';
import { gridTotal } from './curation-grid.js';
import { useServedProject } from './served-project.js';

const served = useServedProject();

async function drawLasso(page: Page, corners: [number, number][]): Promise<void> {
  const box = (await page.getByTestId('map-canvas').boundingBox())!;
  await page.mouse.move(box.x + corners[0]![0] * box.width, box.y + corners[0]![1] * box.height);
  await page.mouse.down();
  for (const [x, y] of corners.slice(1)) {
    await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 5 });
  }
  await page.mouse.up();
}

test('a lasso on the map filters the grid to exactly those images; removing the chip shows all', async ({ page }) => {
  await page.goto(served.server.url);
  await page.getByTestId('nav-review').click();
  const all = await gridTotal(page);
  expect(all).toBeGreaterThan(10);

  await page.getByTestId('nav-map').click();
  await expect(page.getByTestId('map-count')).toHaveText(/^[1-9]\d* images$/);
  await expect(page.getByTestId('map-canvas')).toHaveAttribute('data-frames', /[1-9]/);
  // The left half of the canvas: the layout is centred, so some points fall inside and some do not.
  await drawLasso(page, [
    [0.005, 0.005],
    [0.5, 0.005],
    [0.5, 0.995],
    [0.005, 0.995],
  ]);
  const chosen = Number(/^(\d+) selected$/.exec((await page.getByTestId('map-selected').textContent()) ?? '')?.[1]);
  expect(chosen).toBeGreaterThan(0);
  expect(chosen).toBeLessThan(all);
  const lassoed = new Set(
    await page.getByTestId('map-selection-thumb').evaluateAll((els) => els.map((el) => el.getAttribute('data-id'))),
  );
  expect(lassoed.size).toBe(chosen);

  await page.getByTestId('map-review-selection').click();
  await expect(page.getByTestId('view-review')).toBeVisible();
  await expect(page.getByTestId('selection-chip')).toContainText(`selection: ${chosen} images`);
  expect(await gridTotal(page)).toBe(chosen);
  await expect(page.getByTestId('result-count')).toHaveText(`${chosen} images`);
  const tiles = await page
    .getByTestId('tile')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')).filter((id) => id));
  expect(tiles.length).toBeGreaterThan(0);
  for (const id of tiles) expect(lassoed.has(id)).toBe(true);

  await page.getByTestId('selection-chip-remove').click();
  await expect(page.getByTestId('selection-chip')).toHaveCount(0);
  expect(await gridTotal(page)).toBe(all);
});

test('hover shows the image under the cursor, and colouring by score shows a continuous legend', async ({ page }) => {
  await page.goto(served.server.url);
  await page.getByTestId('nav-map').click();
  await expect(page.getByTestId('map-canvas')).toHaveAttribute('data-frames', /[1-9]/);
  await expect(page.getByTestId('legend-entry').first()).toBeVisible();
  // Points are where the canvas has ink: find one and hover it.
  const spot = await page.getByTestId('map-canvas').evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const ratio = c.width / c.getBoundingClientRect().width;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] === 255) {
        const p = (i - 3) / 4;
        return { x: (p % c.width) / ratio + 1, y: Math.floor(p / c.width) / ratio + 1 };
      }
    }
    return null;
  });
  expect(spot).not.toBeNull();
  const box = (await page.getByTestId('map-canvas').boundingBox())!;
  await page.mouse.move(box.x + spot!.x, box.y + spot!.y);
  await expect(page.getByTestId('map-hover')).toBeVisible();
  await expect(page.getByTestId('map-hover').locator('img')).toHaveJSProperty('complete', true);
  await page.getByTestId('map-colour-by').selectOption('score');
  await expect(page.getByTestId('legend-scale')).toBeVisible();
  await page.getByTestId('map-colour-by').selectOption('decision');
  await expect(page.getByTestId('legend-entry')).toContainText(['undecided']);
});
