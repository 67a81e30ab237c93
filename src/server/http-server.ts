// Browser mode: the built renderer and the one API over HTTP on loopback. Every request passes the perimeter
// (Host, Origin, session) before a route runs; calls go through the same dispatcher checks as Electron IPC.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Api, ImageVariant } from '../shared/api.js';
import { AppError, serializeError } from '../shared/errors.js';
import { checkCall, invoke } from '../rpc/dispatcher.js';
import { subscribeAll, type ApiEventSource } from '../rpc/events.js';
import { HTTP_ROUTES, type CallReply } from '../rpc/types.js';
import { BodyTooLarge, DEFAULT_BODY_LIMIT, readBody } from './body.js';
import { sendJson, sendText, setSecurityHeaders } from './headers.js';
import {
  authenticate,
  createPerimeter,
  hostAllowed,
  isLoopbackHost,
  originOf,
  sessionCookie,
  tokenMatches,
  urlHost,
  type Perimeter,
} from './perimeter.js';
import { serveStatic } from './static-files.js';

export type ImageProvider = (
  variant: ImageVariant,
  id: number,
) => Promise<{ body: Buffer; contentType: string } | null>;

export interface ServerOptions {
  api: Api;
  events: ApiEventSource;
  images: ImageProvider;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  /** Default 127.0.0.1. Anything not loopback yields a `warning`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default: 32 random bytes, base64url. */
  token?: string;
  maxBodyBytes?: number;
  heartbeatMs?: number;
}

export interface RunningServer {
  /** Open this once: it trades the token for the session cookie and lands on the app. */
  url: string;
  /** http://host:port, no token. */
  origin: string;
  host: string;
  port: number;
  token: string;
  /** Set when bound to a non-loopback address. */
  warning: string | null;
  close(): Promise<void>;
}

const IMAGE_ROUTE = /^\/img\/(thumb|full)\/([0-9]{1,12})$/;

/** What every request handler of one server shares. */
interface ServerState {
  options: ServerOptions;
  limit: number;
  heartbeatMs: number;
  /** Open event streams, ended on close. */
  streams: Set<ServerResponse>;
  /** Set once listening: the Host and Origin checks need the bound port. */
  perimeter: Perimeter | null;
}

/** A request that passed the perimeter: where it goes and how it authenticated. */
interface Admitted {
  p: Perimeter;
  pathname: string;
  query: URLSearchParams;
  method: string;
  isRead: boolean;
  origin: ReturnType<typeof originOf>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('base64url');
  const state: ServerState = {
    options,
    limit: options.maxBodyBytes ?? DEFAULT_BODY_LIMIT,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    streams: new Set(),
    perimeter: null,
  };
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      console.error('ssod serve: request failed:', error);
      sendText(res, 500, 'internal error');
    });
  });
  const sockets = trackSockets(server);
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  state.perimeter = createPerimeter(host, port, token);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : urlHost(host);
  const origin = `http://${shownHost}:${port}`;
  return {
    url: `${origin}${HTTP_ROUTES.login}?token=${token}`,
    origin,
    host,
    port,
    token,
    warning: hostWarning(host),
    close: () => closeServer(server, state.streams, sockets),
  };
}

/** Sockets kept so close() ends keep-alive and SSE connections; CONNECT and malformed requests are answered. */
function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // CONNECT would otherwise hold the socket open; malformed requests get a plain 400.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return sockets;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
}

async function closeServer(server: Server, streams: Set<ServerResponse>, sockets: Set<Socket>): Promise<void> {
  for (const res of streams) res.end();
  streams.clear();
  await new Promise<void>((done) => {
    server.close(() => done());
    for (const socket of sockets) socket.destroy();
  });
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setSecurityHeaders(res);
  const admitted = admit(state, req, res);
  if (!admitted) return;
  const { p, pathname, query, isRead, origin } = admitted;
  if (pathname === HTTP_ROUTES.login) {
    if (!isRead) return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    if (!tokenMatches(p, query.get('token') ?? undefined)) return sendText(res, 401, 'unauthorized: wrong token');
    res.writeHead(303, { location: '/', 'set-cookie': sessionCookie(p), 'cache-control': 'no-store' });
    res.end();
    return;
  }
  const auth = authenticate(p, req);
  if (!auth) return sendText(res, 401, 'unauthorized: open the URL that `ssod serve` printed');
  // A cookie rides along on cross-site requests; only a same-origin Origin proves the page is ours.
  if (!isRead && auth === 'cookie' && origin !== 'same') return sendText(res, 403, 'forbidden: missing Origin');
  return route(state, req, res, admitted);
}

/** The perimeter: the server is ready, the Host is this server, the Origin is not foreign, the target is a path. */
function admit(state: ServerState, req: IncomingMessage, res: ServerResponse): Admitted | null {
  const p = state.perimeter;
  if (!p) return refuse(res, 503, 'starting');
  if (!hostAllowed(p, req)) return refuse(res, 403, 'forbidden: Host is not this server');
  const origin = originOf(p, req);
  if (origin === 'foreign') return refuse(res, 403, 'forbidden: foreign Origin');
  const rawUrl = req.url ?? '';
  // Only origin-form targets; never let the URL parser resolve dot segments (it decodes %2e%2e too).
  if (!rawUrl.startsWith('/')) return refuse(res, 400, 'bad request target');
  const q = rawUrl.indexOf('?');
  const method = req.method ?? '';
  return {
    p,
    pathname: q < 0 ? rawUrl : rawUrl.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
    method,
    isRead: method === 'GET' || method === 'HEAD',
    origin,
  };
}

function refuse(res: ServerResponse, status: number, text: string): null {
  sendText(res, status, text);
  return null;
}

async function route(state: ServerState, req: IncomingMessage, res: ServerResponse, a: Admitted): Promise<void> {
  const { pathname, method, isRead } = a;
  if (pathname === HTTP_ROUTES.call) {
    if (method !== 'POST') return sendText(res, 405, 'method not allowed', { allow: 'POST' });
    return handleCall(state, req, res);
  }
  if (pathname === HTTP_ROUTES.events) {
    if (method !== 'GET') return sendText(res, 405, 'method not allowed', { allow: 'GET' });
    return handleEvents(state, req, res);
  }
  if (pathname === HTTP_ROUTES.image || pathname.startsWith(`${HTTP_ROUTES.image}/`)) {
    if (!isRead) return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    return handleImage(state, pathname, res, method === 'HEAD');
  }
  if (pathname === '/api' || pathname.startsWith('/api/')) return sendText(res, 404, 'not found');
  if (!isRead) return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
  return serveStatic(state.options.staticDir, pathname, res, method === 'HEAD');
}

async function handleCall(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  // Forms cannot send application/json without a CORS preflight, which we never grant.
  if (!/^application\/json\s*(;|$)/i.test(type)) return sendText(res, 415, 'expected application/json');
  let body: Buffer;
  try {
    body = await readBody(req, state.limit);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      return sendText(res, 413, `body over ${state.limit} bytes`, { connection: 'close' });
    }
    throw error;
  }
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    return sendJson(res, 400, failure(new AppError('invalid-argument', 'malformed JSON')));
  }
  let call;
  try {
    call = checkCall(message);
  } catch (error) {
    return sendJson(res, error instanceof AppError && error.code === 'not-found' ? 404 : 400, failure(error));
  }
  let reply: CallReply;
  try {
    reply = { ok: true, value: await invoke(state.options.api, call) };
  } catch (error) {
    reply = failure(error);
  }
  sendJson(res, 200, reply);
}

function handleEvents(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n: connected\n\n');
  state.streams.add(res);
  const off = subscribeAll(state.options.events, (event, payload) => {
    res.write(`data: ${JSON.stringify({ event, payload })}\n\n`);
  });
  const beat = setInterval(() => res.write(': ping\n\n'), state.heartbeatMs);
  beat.unref();
  const cleanup = () => {
    off();
    clearInterval(beat);
    state.streams.delete(res);
  };
  req.once('close', cleanup);
  res.once('close', cleanup);
}

async function handleImage(state: ServerState, pathname: string, res: ServerResponse, head: boolean): Promise<void> {
  const m = IMAGE_ROUTE.exec(pathname);
  if (!m) return sendText(res, 404, 'not found');
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id) || id < 1) return sendText(res, 404, 'not found');
  const image = await state.options.images(m[1] as ImageVariant, id);
  if (!image) return sendText(res, 404, 'not found');
  const type = /^image\/[a-z0-9.+-]+$/i.test(image.contentType) ? image.contentType : 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type,
    'content-length': String(image.body.length),
    'cache-control': 'private, max-age=300',
  });
  res.end(head ? undefined : image.body);
}

function failure(error: unknown): CallReply {
  return { ok: false, error: serializeError(error) };
}

/** Null for loopback; otherwise the warning `ssod serve` prints. */
export function hostWarning(host: string): string | null {
  return isLoopbackHost(host)
    ? null
    : `listening on ${host}, not loopback: anyone who can reach this machine can try to connect and ` +
        'only the token keeps them out. Use --host 127.0.0.1 unless you know why not.';
}
