// The built renderer, served only from inside staticDir (resolved and real paths must stay inside), with the
// single-page-app fallback to index.html for extension-less paths such as /review.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { sendText } from './headers.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Maps a URL pathname to a file inside root, or null when it would leave root or cannot be decoded. */
export function resolveInside(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const full = resolve(root, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  return full === root || full.startsWith(root + sep) ? full : null;
}

async function fileInside(root: string, candidate: string): Promise<string | null> {
  try {
    const real = await realpath(candidate);
    const realRoot = await realpath(root);
    if (!(real === realRoot || real.startsWith(realRoot + sep))) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

export async function serveStatic(root: string, pathname: string, res: ServerResponse, head: boolean): Promise<void> {
  const absRoot = resolve(root);
  const target = resolveInside(absRoot, pathname);
  if (target === null) return sendText(res, 400, 'bad path');
  let file = await fileInside(absRoot, target === absRoot ? resolve(absRoot, 'index.html') : target);
  if (!file && extname(pathname) === '') file = await fileInside(absRoot, resolve(absRoot, 'index.html'));
  if (!file) return sendText(res, 404, 'not found');
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const size = (await stat(file)).size;
  // Hashed assets may be cached; index.html must not be, so a rebuilt renderer is picked up.
  const cache = file.endsWith(`${sep}index.html`) ? 'no-cache' : 'public, max-age=3600';
  res.writeHead(200, { 'content-type': type, 'content-length': String(size), 'cache-control': cache });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.once('error', () => {
      res.destroy();
      done();
    });
    stream.once('end', done);
    stream.pipe(res);
  });
}
