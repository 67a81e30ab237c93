// Who may talk to the browser-mode server. Three gates, in this order, before any route runs:
// 1. Host header names this server (localhost/127.0.0.1/[::1] or the bound host, with our port): stops DNS
//    rebinding, where a foreign site's name resolves to 127.0.0.1.
// 2. Origin, when present, is our own; a state-changing request with a cookie must carry it (CSRF).
// 3. The session: the HttpOnly cookie set by /auth, or `Authorization: Bearer <token>` for scripts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Cookies are shared by every port of a host, so the name carries the port: two servers never clobber each other. */
export function cookieName(port: number): string {
  return `ssod_session_${port}`;
}
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The host part as it appears in a URL ([::1] for IPv6). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export interface Perimeter {
  /** Exact `host:port` values accepted in the Host header. */
  hosts: Set<string>;
  /** Exact origins accepted in the Origin header. */
  origins: Set<string>;
  token: string;
  cookie: string;
}

export function createPerimeter(boundHost: string, port: number, token: string): Perimeter {
  const names = new Set(LOOPBACK_NAMES);
  // A wildcard bind answers on every address; we still accept only names we know, plus an explicit bind address.
  if (!isLoopbackHost(boundHost) && boundHost !== '0.0.0.0' && boundHost !== '::') names.add(urlHost(boundHost));
  const hosts = new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return { hosts, origins, token, cookie: cookieName(port) };
}

export function hostAllowed(p: Perimeter, req: IncomingMessage): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && p.hosts.has(host.toLowerCase());
}

export type OriginVerdict = 'same' | 'absent' | 'foreign';

export function originOf(p: Perimeter, req: IncomingMessage): OriginVerdict {
  const origin = req.headers.origin;
  if (origin === undefined) return 'absent';
  return p.origins.has(origin.toLowerCase()) ? 'same' : 'foreign';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(p: Perimeter, candidate: string | undefined): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 1024) return false;
  return timingSafeEqual(digest(candidate), digest(p.token));
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type AuthKind = 'cookie' | 'bearer' | null;

export function authenticate(p: Perimeter, req: IncomingMessage): AuthKind {
  const authz = req.headers.authorization;
  if (typeof authz === 'string') {
    const m = /^Bearer (.+)$/i.exec(authz);
    return m && tokenMatches(p, m[1]) ? 'bearer' : null;
  }
  return tokenMatches(p, readCookie(req, p.cookie)) ? 'cookie' : null;
}

export function sessionCookie(p: Perimeter): string {
  return `${p.cookie}=${p.token}; HttpOnly; SameSite=Strict; Path=/`;
}
