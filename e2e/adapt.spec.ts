// Adapt mode from the Train view, in browser mode against `ssod serve`: the panel says the first run reads
// pretrained features; "Adapt the top" trains the backbone's top with SSOD's loss (progress above, a new run);
// review decisions made meanwhile (here by the command line) count toward the re-adapt suggestion; a plain retrain
// reuses the adapted top of the run that trained it.
import { test, expect, type Page } from '@playwright/test';
import { ssod } from './fixture.js';
import { useServedProject } from './served-project.js';

const served = useServedProject();

async function openTrain(page: Page): Promise<void> {
  await page.goto(served.server.url);
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('adapt-panel')).toBeVisible();
}

test('adapt the top, count decisions since, retrain reusing it', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  await openTrain(page);
  await expect(page.getByTestId('adapt-summary')).toContainText('pretrained backbone');

  await page.getByTestId('adapt-start').click();
  await expect(page.getByTestId('fresh-run')).toContainText('Run 2 finished', { timeout: 15 * 60_000 });
  await expect(page.getByTestId('adapt-summary')).toContainText('trained with SSOD’s loss in this run');
  await expect(page.getByTestId('adapt-since')).toContainText('0 decision(s) since the top was trained');

  // Twenty decisions from another process: the panel counts them after a reload and recommends re-adapting.
  // `ssod list --json` prints one JSON object per line.
  const rows = ssod(['list', served.project.dir, '--limit', '20', '--json'], 60_000, served.home)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { path: string });
  expect(rows).toHaveLength(20);
  for (const row of rows) {
    ssod(['review', served.project.dir, row.path, '--reject', '--reviewer', 'cli'], 60_000, served.home);
  }
  await openTrain(page);
  await expect(page.getByTestId('adapt-since')).toContainText('20 decision(s) since the top was trained');
  await expect(page.getByTestId('adapt-since')).toContainText('re-adapting would train it on them');
  await expect(page.getByTestId('adapt-start')).toHaveText('Re-adapt the top');

  // A plain retrain keeps the adapted top (only the heads learn the decisions): it names the run that trained it.
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('fresh-run')).toContainText('Run 3 finished', { timeout: 15 * 60_000 });
  await expect(page.getByTestId('adapt-summary')).toContainText('in run #2');
});
