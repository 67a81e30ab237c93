// Image quality and dropped files in browser mode against `ssod serve`: the grid's quality filter follows the
// thresholds the person saves; an image dropped on the window gets "more like this" (scaled down in the page
// first), its hits open in the grid as a selection; a dropped non-image gets a clear message.
import { test, expect, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gridTotal } from './curation-grid.js';
import { useServedProject } from './served-project.js';

const served = useServedProject();

async function saveThreshold(page: Page, key: string, value: string): Promise<void> {
  await page.getByTestId(`threshold-${key}`).fill(value);
  await page.getByTestId('quality-save').click();
  // The previous save's toast may still show: the checks after each save prove this one took effect.
  await expect(page.getByText('quality thresholds saved').last()).toBeVisible();
}

test('the quality filter follows the thresholds the person saves', async ({ page }) => {
  await page.goto(served.server.url);
  await page.getByTestId('nav-review').click();
  const all = await gridTotal(page);
  await page.getByTestId('quality-thresholds').locator('summary').click();
  // Every image is sharper than 0 and less sharp than a million: none, then all, are blurry.
  await saveThreshold(page, 'blurBelow', '1000000');
  await page.getByTestId('filter-quality').selectOption('blurry');
  await expect(page.getByTestId('filter-quality').locator('option[value="blurry"]')).toHaveText(`blurry (${all})`);
  expect(await gridTotal(page)).toBe(all);
  await saveThreshold(page, 'blurBelow', '0');
  await expect(page.getByTestId('grid-empty')).toBeVisible();
  await expect(page.getByTestId('filter-quality').locator('option[value="blurry"]')).toHaveText('blurry (0)');
  await page.getByTestId('filter-quality').selectOption('');
  expect(await gridTotal(page)).toBe(all);
});

async function dropFile(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, type, data }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type }));
      return dt;
    },
    { name, type, data: [...bytes] },
  );
  const target = page.locator('main');
  await target.dispatchEvent('dragenter', { dataTransfer: transfer });
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await expect(page.getByTestId('drop-hint')).toBeVisible();
  await target.dispatchEvent('drop', { dataTransfer: transfer });
}

test('an image dropped on the window: more like it, and its hits in the grid', async ({ page }) => {
  await page.goto(served.server.url);
  await page.getByTestId('nav-review').click();
  await gridTotal(page);
  const dir = join(served.project.root, 'train', 'ring');
  const file = readdirSync(dir).sort()[0]!;
  await dropFile(page, file, 'image/png', readFileSync(join(dir, file)));
  await expect(page.getByTestId('drop-hit').first()).toBeVisible();
  const hits = await page.getByTestId('drop-hit').count();
  // The dropped image is in the project, re-encoded: its nearest neighbour is (a copy of) itself.
  expect(Number(await page.getByTestId('drop-hit').first().locator('figcaption').textContent())).toBeGreaterThan(0.95);
  await page.getByTestId('drop-show-in-grid').click();
  await expect(page.getByTestId('drop-panel')).toHaveCount(0);
  await expect(page.getByTestId('selection-chip')).toContainText(`selection: ${hits} images`);
  expect(await gridTotal(page)).toBe(hits);
});

test('a dropped file that is not an image gets a clear message', async ({ page }) => {
  await page.goto(served.server.url);
  await page.getByTestId('nav-map').click();
  await dropFile(page, 'notes.txt', 'text/plain', Buffer.from('not an image at all'));
  await expect(page.getByTestId('drop-problem')).toContainText('notes.txt is not an image');
  await dropFile(page, 'broken.png', 'image/png', Buffer.from('\x89PNG but nothing after'));
  await expect(page.getByTestId('drop-problem')).toContainText('broken.png could not be read as an image');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('drop-panel')).toHaveCount(0);
});
