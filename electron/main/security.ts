// Session and web-contents hardening. The decisions are pure functions (tested without Electron); the setup
// functions only attach them. Everything the app does not need is refused: navigation, new windows, webviews,
// permissions, remote content.
import { app, session, shell, type Event, type HandlerDetails, type WebContents } from 'electron';
import { ELECTRON_IMAGE_PROTOCOL } from '../../src/rpc/types.js';
import { APP_ORIGIN } from './window-options.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte transitions and style attributes need inline styles; scripts stay 'self' only.
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${ELECTRON_IMAGE_PROTOCOL}:`,
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Headers = Record<string, string[] | string>;

/** Response headers with our CSP replacing any the response carried. */
export function withCsp(headers: Headers | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

export function isAppUrl(url: string): boolean {
  return url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
}

/** will-navigate: the app is a single page; any navigation (link, drag-and-drop, location=) is refused. */
export function shouldBlockNavigation(url: string): boolean {
  return !isAppUrl(url);
}

/** Links the app makes to the outside world (docs, licences): http(s) only, no credentials in the URL. */
export function isSafeExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && !parsed.username && !parsed.password;
}

/** setWindowOpenHandler: never a new Electron window; safe http(s) links go to the user's browser. */
export function windowOpenDecision(
  details: Pick<HandlerDetails, 'url'>,
  openExternal: (url: string) => Promise<void>,
): { action: 'deny' } {
  if (isSafeExternalUrl(details.url)) {
    openExternal(details.url).catch((error: unknown) => console.error('openExternal failed:', error));
  }
  return { action: 'deny' };
}

/** Permission requests and checks (camera, notifications, clipboard-read, ...): all refused. */
export function permissionRequestDecision(): false {
  return false;
}

export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event: Event, url: string) => {
    if (shouldBlockNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event: Event, url: string) => {
    if (shouldBlockNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event: Event) => event.preventDefault());
  contents.setWindowOpenHandler((details) => windowOpenDecision(details, (url) => shell.openExternal(url)));
}

/** Before ready: every web contents ever created gets the same handlers. */
export function setupWebContentsSecurity(): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
}

/** After ready: the default session's CSP and permission handlers. */
export function setupSessionSecurity(): void {
  const s = session.defaultSession;
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders) });
  });
  s.setPermissionRequestHandler((_contents, _permission, callback) => callback(permissionRequestDecision()));
  s.setPermissionCheckHandler(() => permissionRequestDecision());
  s.setDevicePermissionHandler(() => false);
}
