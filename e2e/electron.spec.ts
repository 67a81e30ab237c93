// The same app in Electron, where Electron can run. On machines without its binary the test is skipped with
// the reason (printed by playwright.config.ts too).
import { test, expect, _electron } from '@playwright/test';
import { electronBinary } from './hosts.js';

const electron = electronBinary();

test('electron: the app window opens on the projects view', async () => {
  test.skip(!electron.path, `Electron unavailable: ${electron.reason}`);
  const app = await _electron.launch({ executablePath: electron.path!, args: ['.'] });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('nav-projects')).toBeVisible();
    await window.screenshot({ path: 'test-results/screens/electron-projects.png' });
  } finally {
    await app.close();
  }
});

// Issue "Prove it holds", promise 5 at runtime: the renderer of the running app cannot reach Node, opens no
// windows, cannot navigate away, and sees exactly the bridge the preload exposes.
test('electron: the running window is locked down', async () => {
  test.skip(!electron.path, `Electron unavailable: ${electron.reason}`);
  const app = await _electron.launch({ executablePath: electron.path!, args: ['.'] });
  try {
    const page = await app.firstWindow();
    const startUrl = page.url();
    expect(startUrl).toMatch(/^ssod-app:\/\//);
    const reach = await page.evaluate(() => {
      const g = globalThis as unknown as {
        require?: unknown;
        process?: unknown;
        ssod?: object;
        open(url: string): unknown;
      };
      return {
        require: typeof g.require,
        process: typeof g.process,
        bridge: Object.keys(g.ssod ?? {}).sort(),
        opened: g.open('https://example.com') === null,
      };
    });
    expect(reach).toEqual({
      require: 'undefined',
      process: 'undefined',
      bridge: ['call', 'listen', 'pickFolder'],
      opened: true,
    });
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(startUrl);
    expect(app.windows()).toHaveLength(1);
  } finally {
    await app.close();
  }
});
