// Views stay live: a decision written through the command line while the app is open reaches the grid and the
// counts without a reload; a job started in one tab is still shown after the tab is closed and reopened.
import { test, expect } from '@playwright/test';
import { ssod } from './fixture.js';
import { useServedProject } from './served-project.js';

const served = useServedProject();

test('a decision written by the CLI while the app is open shows in the grid', async ({ page }) => {
  await page.goto(served.server.url);
  const grid = page.getByTestId('grid');
  await expect(grid).toHaveAttribute('data-ready', 'true');
  const tile = page.locator('[data-testid="tile"][data-index="2"]');
  await expect(tile).toHaveAttribute('data-decision', '');
  const id = await tile.getAttribute('data-id');
  ssod(
    ['review', served.project.dir, String(id), '--reject', '--note', 'from the terminal', '--reviewer', 'cli'],
    60_000,
    served.home,
  );
  await expect(tile).toHaveAttribute('data-decision', 'reject');
  await expect(page.getByTestId('metrics-basis')).toContainText('1 rejected');
  // And undone from the terminal again.
  ssod(['review', served.project.dir, String(id), '--undo', '--reviewer', 'cli'], 60_000, served.home);
  await expect(tile).toHaveAttribute('data-decision', '');
});

test('a job keeps showing its progress after the tab is closed and reopened', async ({ browser }) => {
  test.setTimeout(10 * 60_000);
  const first = await browser.newPage();
  await first.goto(served.server.url);
  await first.getByTestId('nav-train').click();
  await first.getByTestId('train-start').click();
  await expect(first.getByTestId('header-job')).toBeVisible();
  await first.close();

  const again = await browser.newPage();
  await again.goto(served.server.url);
  await expect(again.getByTestId('header-job')).toBeVisible();
  await again.getByTestId('nav-train').click();
  await expect(again.getByTestId('job-progress')).toContainText(/train/);
  // When it ends the reopened tab hears it like any other: the fresh run is offered.
  await expect(again.getByTestId('fresh-run')).toBeVisible({ timeout: 8 * 60_000 });
  await expect(again.getByTestId('header-job')).toBeHidden();
  await again.close();
});
