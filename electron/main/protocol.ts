// Two custom schemes, registered as privileged before `ready`:
// - ssod-app://app/...  the built renderer, only files inside its folder (no file:// pages, so 'self' is ours)
// - ssod-img://thumb/<id> | ssod-img://full/<id>  image bytes by opaque numeric id, never by path
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { protocol } from 'electron';
import type { ImageVariant } from '../../src/shared/api.js';
import { ELECTRON_IMAGE_PROTOCOL } from '../../src/rpc/types.js';
import { CONTENT_SECURITY_POLICY } from './security.js';
import { APP_SCHEME } from './window-options.js';

export type ImageProvider = (
  variant: ImageVariant,
  id: number,
) => Promise<{ body: Buffer; contentType: string } | null>;

const PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true };

export const PRIVILEGED_SCHEMES = [
  { scheme: APP_SCHEME, privileges: PRIVILEGES },
  { scheme: ELECTRON_IMAGE_PROTOCOL, privileges: PRIVILEGES },
];

/** Must run before app `ready`. */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);
}

// Chromium canonicalises standard URLs (lower-case host, dot segments resolved) before we see them; the match is
// on that canonical string and accepts digits only, so no encoding trick reaches the provider.
const IMAGE_URL = new RegExp(`^${ELECTRON_IMAGE_PROTOCOL}://(thumb|full)/([0-9]{1,12})$`);

export function parseImageUrl(url: string): { variant: ImageVariant; id: number } | null {
  const m = IMAGE_URL.exec(url);
  if (!m) return null;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) && id >= 1 ? { variant: m[1] as ImageVariant, id } : null;
}

const BASE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=300' };

export function createImageHandler(images: ImageProvider): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const target = parseImageUrl(request.url);
    if (!target) return new Response(null, { status: 404 });
    const image = await images(target.variant, target.id);
    if (!image) return new Response(null, { status: 404 });
    const type = /^image\/[a-z0-9.+-]+$/i.test(image.contentType) ? image.contentType : 'application/octet-stream';
    return new Response(new Uint8Array(image.body), {
      status: 200,
      headers: { ...BASE_HEADERS, 'content-type': type },
    });
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Maps ssod-app://app/<path> to a file inside root, or null. */
export function resolveAppFile(root: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== 'app') return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const absRoot = resolve(root);
  const file = resolve(absRoot, `.${path === '/' ? '/index.html' : path}`);
  return file.startsWith(absRoot + sep) ? file : null;
}

export function createAppFileHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = resolveAppFile(root, request.url);
    if (!file) return new Response(null, { status: 404 });
    // Extension-less paths are client-side routes: serve the app.
    const target = extname(file) === '' ? resolve(root, 'index.html') : file;
    try {
      const body = await readFile(target);
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
          // webRequest does not see custom-protocol responses, so the CSP rides on them directly.
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response(null, { status: 404 });
    }
  };
}

/** After ready. */
export function setupProtocols(rendererDir: string, images: ImageProvider): void {
  protocol.handle(APP_SCHEME, createAppFileHandler(rendererDir));
  protocol.handle(ELECTRON_IMAGE_PROTOCOL, createImageHandler(images));
}
