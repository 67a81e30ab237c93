// Bad input on the way in, each with a clear message in the page, nothing lost and no dialog left stuck: a
// path that is a file, a folder that does not exist, a folder with no images, a project folder that cannot be
// written, and the demo started twice at once.
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshProfile, serve, type Served, tearDown } from './fixture.js';

let home: string;
let server: Served;
let scratch: string;

test.beforeAll(async () => {
  home = freshProfile();
  scratch = join(home, 'user-files');
  mkdirSync(join(scratch, 'empty', 'cats'), { recursive: true });
  writeFileSync(join(scratch, 'notes.txt'), 'not a folder');
  server = await serve(null, home);
});

test.afterAll(() => tearDown(server, home));

async function openFolder(page: Page, path: string): Promise<void> {
  await page.getByTestId('nav-projects').click();
  await page.getByTestId('start-folder-path').fill(path);
  await page.getByTestId('start-folder-open').click();
}

test('opening a folder of images: a file, a missing folder, a folder without images', async ({ page }) => {
  await page.goto(server.url);
  await expect(page.getByTestId('start-page')).toBeVisible();

  await openFolder(page, join(scratch, 'notes.txt'));
  await expect(page.getByTestId('start-folder-error')).toContainText(/not a folder/i);
  await expect(page.getByTestId('header-project')).toHaveText('No project');

  await openFolder(page, join(scratch, 'nowhere'));
  await expect(page.getByTestId('start-folder-error')).toContainText(/no such folder/i);
  await expect(page.getByTestId('header-project')).toHaveText('No project');

  await openFolder(page, join(scratch, 'empty'));
  await expect(page.getByTestId('start-folder-error')).toContainText(/no images/i);
  await expect(page.getByTestId('header-project')).toHaveText('No project');
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('a project folder that cannot be written is refused with the reason', async ({ page }) => {
  await page.goto(server.url);
  // /sys refuses every write, even root's (the e2e may run as root, which ignores folder permissions).
  await page.getByTestId('project-path').fill('/sys/ssod-cannot-write/project');
  await page.getByTestId('project-create').click();
  await expect(page.getByTestId('toasts')).toContainText(/cannot (write|create)/i);
  await expect(page.getByTestId('header-project')).toHaveText('No project');
});

test('the demo started twice at once builds once; the second tab says so and follows it', async ({ browser }) => {
  test.setTimeout(10 * 60_000);
  const a = await browser.newPage();
  const b = await browser.newPage();
  await Promise.all([a.goto(server.url), b.goto(server.url)]);
  await Promise.all([a.getByTestId('start-demo').click(), b.getByTestId('start-demo').click()]);
  // One of the two is refused with a clear message, or follows the build already running: never a second build.
  for (const page of [a, b]) {
    await expect(page.getByTestId('demo-progress').or(page.getByTestId('demo-error'))).toBeVisible();
  }
  for (const page of [a, b]) await expect(page.getByTestId('view-review')).toBeVisible({ timeout: 8 * 60_000 });
  for (const page of [a, b]) await expect(page.getByTestId('grid')).not.toHaveAttribute('data-total', '0');
  await a.close();
  await b.close();
});
