// Promise 5 of issue 6: Electron is configured safely. Reads the window options and the session, navigation,
// window-open, permission, IPC and protocol handlers from the code with 'electron' mocked (no Electron binary
// here), and drives each handler with hostile input.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const mock = vi.hoisted(() => {
  type Fn = (...args: unknown[]) => unknown;
  const state = {
    appHandlers: new Map<string, Fn>(),
    ipcHandlers: new Map<string, Fn>(),
    protocolHandlers: new Map<string, Fn>(),
    privileged: [] as unknown[],
    headersReceived: null as Fn | null,
    permissionRequest: null as Fn | null,
    permissionCheck: null as Fn | null,
    devicePermission: null as Fn | null,
    openExternal: [] as string[],
    sent: [] as unknown[][],
  };
  return state;
});

vi.mock('electron', () => ({
  app: { on: (name: string, fn: (...a: unknown[]) => unknown) => mock.appHandlers.set(name, fn) },
  session: {
    defaultSession: {
      webRequest: { onHeadersReceived: (fn: (...a: unknown[]) => unknown) => (mock.headersReceived = fn) },
      setPermissionRequestHandler: (fn: (...a: unknown[]) => unknown) => (mock.permissionRequest = fn),
      setPermissionCheckHandler: (fn: (...a: unknown[]) => unknown) => (mock.permissionCheck = fn),
      setDevicePermissionHandler: (fn: (...a: unknown[]) => unknown) => (mock.devicePermission = fn),
    },
  },
  shell: {
    openExternal: (url: string) => {
      mock.openExternal.push(url);
      return Promise.resolve();
    },
  },
  ipcMain: {
    handle: (channel: string, fn: (...a: unknown[]) => unknown) => mock.ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => mock.ipcHandlers.delete(channel),
  },
  dialog: { showOpenDialog: () => Promise.resolve({ canceled: false, filePaths: ['/picked'] }) },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => mock.privileged.push(...schemes),
    handle: (scheme: string, fn: (...a: unknown[]) => unknown) => mock.protocolHandlers.set(scheme, fn),
  },
  utilityProcess: { fork: () => ({}) },
  BrowserWindow: class {},
}));

const { WEB_PREFERENCES, windowOptions, APP_ENTRY } = await import('../../electron/main/window-options.js');
const security = await import('../../electron/main/security.js');
const ipc = await import('../../electron/main/ipc.js');
const protocol = await import('../../electron/main/protocol.js');
const { createFakeApi } = await import('../../src/rpc/testing/fake-api.js');
const { IPC_CHANNELS } = await import('../../src/rpc/types.js');
const { PICK_FOLDER_CHANNEL } = await import('../../electron/channels.js');

let checks = 0;
const check = (cond: boolean, what: string) => {
  checks++;
  expect(cond, what).toBe(true);
};

beforeEach(() => {
  mock.openExternal.length = 0;
});

describe('BrowserWindow options', () => {
  it('isolate the renderer: contextIsolation, sandbox, no Node, webSecurity, no webview', () => {
    const opts = windowOptions('/app/preload.cjs');
    const wp = opts.webPreferences ?? {};
    check(wp.contextIsolation === true, 'contextIsolation');
    check(wp.sandbox === true, 'sandbox');
    check(wp.nodeIntegration === false, 'nodeIntegration off');
    check(wp.nodeIntegrationInWorker === false, 'nodeIntegrationInWorker off');
    check(wp.nodeIntegrationInSubFrames === false, 'nodeIntegrationInSubFrames off');
    check(wp.webSecurity === true, 'webSecurity');
    check(wp.allowRunningInsecureContent === false, 'no insecure content');
    check(wp.webviewTag === false, 'no webview');
    check(wp.experimentalFeatures === false, 'no experimental features');
    check(wp.preload === '/app/preload.cjs', 'preload set');
    expect(WEB_PREFERENCES).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    check(APP_ENTRY.startsWith('ssod-app://app/'), 'loads the app scheme, never file:// or http');
  });
});

describe('session', () => {
  it('puts a restrictive CSP on every response, replacing any other', () => {
    security.setupSessionSecurity();
    let result: { responseHeaders: Record<string, string[]> } | undefined;
    mock.headersReceived?.(
      { responseHeaders: { 'content-security-policy': ["default-src *; script-src 'unsafe-eval'"], 'X-Other': 'x' } },
      (r: typeof result) => (result = r),
    );
    const csp = result?.responseHeaders['Content-Security-Policy']?.[0] ?? '';
    check(
      Object.keys(result?.responseHeaders ?? {}).filter((k) => k.toLowerCase() === 'content-security-policy').length ===
        1,
      'one CSP',
    );
    check(csp.includes("default-src 'self'"), "default-src 'self'");
    check(csp.includes("script-src 'self'") && !csp.includes('unsafe-eval'), 'scripts only from self');
    check(csp.includes("object-src 'none'"), 'no plugins');
    check(!/https?:/.test(csp) && !csp.includes('*'), 'no remote sources');
    check(result?.responseHeaders['X-Other']?.[0] === 'x', 'other headers kept');
  });

  it('refuses every permission request and check', () => {
    security.setupSessionSecurity();
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      let granted: unknown = 'unset';
      mock.permissionRequest?.({}, permission, (g: boolean) => (granted = g));
      check(granted === false, `request ${permission}`);
      check(mock.permissionCheck?.({}, permission) === false, `check ${permission}`);
    }
    check(mock.devicePermission?.({}) === false, 'device permission');
  });
});

describe('web contents', () => {
  function fakeContents() {
    const on = new Map<string, (...a: unknown[]) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    const contents = {
      on: (name: string, fn: (...a: unknown[]) => void) => on.set(name, fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
    };
    security.setupWebContentsSecurity();
    mock.appHandlers.get('web-contents-created')?.({}, contents);
    return { on, open: (url: string) => openHandler?.({ url }) };
  }
  const prevented = (fn: ((...a: unknown[]) => void) | undefined, url: string) => {
    let p = false;
    fn?.({ preventDefault: () => (p = true) }, url);
    return p;
  };

  it('denies navigation away from the app, redirects and webviews', () => {
    const c = fakeContents();
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'http://127.0.0.1:1/',
      'ssod-img://thumb/1',
      'javascript:alert(1)',
      'ssod-app://evil/index.html',
    ]) {
      check(prevented(c.on.get('will-navigate'), url), `navigate ${url}`);
      check(prevented(c.on.get('will-redirect'), url), `redirect ${url}`);
    }
    check(!prevented(c.on.get('will-navigate'), 'ssod-app://app/index.html'), 'own app page allowed');
    check(prevented(c.on.get('will-attach-webview'), ''), 'webview refused');
  });

  it('denies every new window; only http(s) links go to the system browser', () => {
    const c = fakeContents();
    for (const url of [
      'https://example.org/docs',
      'http://example.org/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ssod-app://app/x',
      'smb://host/share',
      'https://user:pw@example.org/',
      'not a url',
    ]) {
      check(c.open(url)?.action === 'deny', `window.open ${url} denied`);
    }
    expect(mock.openExternal).toEqual(['https://example.org/docs', 'http://example.org/']);
  });
});

describe('IPC', () => {
  const appFrame = { url: 'ssod-app://app/index.html', parent: null };

  it('accepts only the app window main frame on the app origin', () => {
    check(ipc.isTrustedSender({ sender: { id: 1 }, senderFrame: appFrame }, 1), 'own window');
    check(!ipc.isTrustedSender({ sender: { id: 2 }, senderFrame: appFrame }, 1), 'other web contents');
    check(!ipc.isTrustedSender({ sender: { id: 1 }, senderFrame: { url: appFrame.url, parent: {} } }, 1), 'subframe');
    check(
      !ipc.isTrustedSender({ sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } }, 1),
      'foreign page',
    );
    check(!ipc.isTrustedSender({ sender: { id: 1 }, senderFrame: null }, 1), 'destroyed frame');
  });

  it('routes calls through the validating dispatcher and refuses strangers without calling anything', async () => {
    const fake = createFakeApi({ 'settings.get': () => ({ reviewer: null, theme: 'dark' }) });
    const window = {
      webContents: { id: 7, send: (...args: unknown[]) => mock.sent.push(args) },
      isDestroyed: () => false,
    };
    const host = ipc.setupIpc(window as never, fake.api, fake.events);
    const call = mock.ipcHandlers.get(IPC_CHANNELS.call);
    const own = { sender: { id: 7 }, senderFrame: appFrame };
    const stranger = { sender: { id: 8 }, senderFrame: appFrame };

    expect(await call?.(own, { service: 'settings', method: 'get', args: [] })).toEqual({
      ok: true,
      value: { reviewer: null, theme: 'dark' },
    });
    fake.calls.length = 0;
    const refused = (await call?.(stranger, { service: 'settings', method: 'get', args: [] })) as {
      ok: boolean;
      error: { code: string };
    };
    check(!refused.ok && refused.error.code === 'forbidden', 'stranger refused');
    for (const msg of [
      null,
      'x',
      { service: 'images', method: 'constructor', args: [] },
      { service: '__proto__', method: 'x', args: [] },
      { service: 'review', method: 'decide', args: [{ imageIds: ['1'], action: 'reject' }] },
    ]) {
      const reply = (await call?.(own, msg)) as { ok: boolean };
      check(reply.ok === false, `hostile message ${JSON.stringify(msg)} refused`);
    }
    expect(fake.calls).toEqual([]);
    check((await mock.ipcHandlers.get(PICK_FOLDER_CHANNEL)?.(stranger)) === null, 'dialog refused to strangers');
    check((await mock.ipcHandlers.get(PICK_FOLDER_CHANNEL)?.(own)) === '/picked', 'dialog for the app');

    fake.events.emit('project.changed', null);
    expect(mock.sent).toEqual([[IPC_CHANNELS.event, 'project.changed', null]]);
    host.dispose();
    check(!mock.ipcHandlers.has(IPC_CHANNELS.call) && fake.events.listenerCount() === 0, 'disposed');
  });
});

describe('custom protocols', () => {
  it('registers both schemes as privileged and secure', () => {
    protocol.registerPrivilegedSchemes();
    const schemes = (mock.privileged as { scheme: string; privileges: { secure: boolean } }[]).map((s) => s.scheme);
    expect(schemes).toEqual(['ssod-app', 'ssod-img']);
  });

  it('serves images only by numeric id', async () => {
    const asked: number[] = [];
    const handler = protocol.createImageHandler((_v, id) => {
      asked.push(id);
      return Promise.resolve({ body: Buffer.from('png'), contentType: 'image/png' });
    });
    const ok = await handler(new Request('ssod-img://thumb/42'));
    check(ok.status === 200 && ok.headers.get('x-content-type-options') === 'nosniff', 'by id');
    for (const url of [
      'ssod-img://thumb/../../etc/passwd',
      'ssod-img://thumb/%2e%2e%2fsecret',
      'ssod-img://full/7.png',
      'ssod-img://thumb/-1',
      'ssod-img://thumb/0',
      'ssod-img://raw/1',
      'ssod-img://thumb/1/2',
      'ssod-img://thumb/%2Fetc%2Fpasswd',
      'ssod-img://thumb/' + '9'.repeat(20),
      'ssod-img:///etc/passwd',
      'file:///etc/passwd',
    ]) {
      const res = await handler(new Request(url));
      check(res.status === 404, `refused ${url}`);
    }
    expect(asked).toEqual([42]);
  });

  it('serves the app only from inside its folder', () => {
    const root = '/opt/ssod/renderer/dist';
    check(protocol.resolveAppFile(root, 'ssod-app://app/assets/a.js') === `${root}/assets/a.js`, 'asset');
    check(protocol.resolveAppFile(root, 'ssod-app://app/') === `${root}/index.html`, 'index');
    for (const url of [
      'ssod-app://app/%2e%2e/%2e%2e/etc/passwd',
      'ssod-app://app/..%2f..%2fetc%2fpasswd',
      'ssod-app://evil/index.html',
      'ssod-app://app/%00',
      'ssod-app://app/..%5c..%5csecret',
      'file:///etc/passwd',
    ]) {
      const file = protocol.resolveAppFile(root, url);
      check(file === null || file.startsWith(`${root}/`), `contained ${url}`);
    }
  });
});

interface BuilderConfig {
  appId: string;
  productName: string;
  npmRebuild: boolean;
  asarUnpack: string[];
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
}

describe('electron-builder.yml', () => {
  it('is valid for electron-builder and packages every platform with our icons', async () => {
    // js-yaml and ajv come with electron-builder (pinned in the lockfile); its own schema is the reference.
    const require = createRequire(import.meta.url);
    const yaml = require('js-yaml') as { load(text: string): unknown };
    const Ajv = require('ajv') as new (o: object) => { validate(s: object, d: unknown): boolean; errors?: unknown };
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const config = yaml.load(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
    const schema = JSON.parse(await readFile(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    expect(ajv.validate(schema, config), JSON.stringify(ajv.errors)).toBe(true);
    expect(config.appId).toBe('org.ssodaudit.app');
    expect(config.productName).toBe('SSOD Audit');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**/*');
    for (const icon of [config.win.icon, config.mac.icon, join(config.linux.icon, '512x512.png')]) {
      await expect(stat(join(root, icon)).then((s) => s.size > 0)).resolves.toBe(true);
    }
  });
});

describe('summary', () => {
  it('prints what it checked', () => {
    console.log(`electron config: ${checks} checks, 0 unsafe`);
    expect(checks).toBeGreaterThan(50);
  });
});
