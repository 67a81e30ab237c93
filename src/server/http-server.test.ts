import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../rpc/sse-reader.js';
import { createFakeApi, type FakeApi } from '../rpc/testing/fake-api.js';
import { hostWarning, startServer, type RunningServer } from './http-server.js';
import { rawRequest, type RawRequest } from './testing/raw-request.js';

let dir: string;
let fake: FakeApi;
let server: RunningServer;
let host: string;
let origin: string;
const imageCalls: [string, number][] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-server-'));
  const www = join(dir, 'www');
  await mkdir(join(www, 'assets'), { recursive: true });
  await writeFile(join(www, 'index.html'), '<!doctype html><title>SSOD</title>');
  await writeFile(join(www, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside');
  fake = createFakeApi({ 'settings.get': () => ({ reviewer: null, theme: 'system' }) });
  server = await startServer({
    api: fake.api,
    events: fake.events,
    staticDir: www,
    images: (variant, id) => {
      imageCalls.push([variant, id]);
      return Promise.resolve(id === 7 ? { body: Buffer.from('PNGDATA'), contentType: 'image/png' } : null);
    },
  });
  host = `127.0.0.1:${server.port}`;
  origin = `http://${host}`;
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const cookie = () => `ssod_session_${server.port}=${server.token}`;
const send = (r: Omit<RawRequest, 'port'>) => rawRequest({ port: server.port, ...r });
const authed = (extra: Record<string, string> = {}) => ({ host, cookie: cookie(), ...extra });
const callBody = JSON.stringify({ service: 'settings', method: 'get', args: [] });
const jsonPost = (headers: Record<string, string>, body = callBody) =>
  send({ method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', ...headers }, body });

describe('startServer', () => {
  it('binds to loopback and prints a token URL', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/auth?token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
    expect(server.warning).toBeNull();
    expect(hostWarning('0.0.0.0')).toMatch(/not loopback/);
    expect(hostWarning('::1')).toBeNull();
  });

  it('trades the token for an HttpOnly SameSite=Strict cookie, and refuses a wrong one', async () => {
    const ok = await send({ method: 'GET', path: `/auth?token=${server.token}`, headers: { host } });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toMatch(new RegExp(`^ssod_session_${server.port}=`));
    const wrong = await send({ method: 'GET', path: '/auth?token=nope', headers: { host } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses every route without a session', async () => {
    for (const path of ['/', '/index.html', '/api/events', '/img/thumb/7']) {
      expect((await send({ method: 'GET', path, headers: { host } })).status).toBe(401);
    }
    expect((await jsonPost({ host, origin })).status).toBe(401);
    expect((await jsonPost({ host, origin, cookie: `ssod_session_${server.port}=wrong` })).status).toBe(401);
    expect((await jsonPost({ host, origin, authorization: 'Bearer wrong' })).status).toBe(401);
    expect(fake.calls).toEqual([]);
  });

  it('refuses a foreign Host (DNS rebinding) even with a valid session', async () => {
    for (const h of ['evil.example:' + server.port, 'localhost:1', '127.0.0.1', 'localhost.evil.com:' + server.port]) {
      expect((await send({ method: 'GET', path: '/', headers: { host: h, cookie: cookie() } })).status).toBe(403);
    }
    expect(
      (await send({ method: 'GET', path: '/', headers: { host: `localhost:${server.port}`, cookie: cookie() } }))
        .status,
    ).toBe(200);
  });

  it('refuses a foreign Origin on every method, and a cookie POST without Origin', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await send({ method, path: '/api/call', headers: authed({ origin: 'http://evil.example' }) });
      expect(r.status, method).toBe(403);
    }
    expect((await jsonPost(authed())).status).toBe(403);
    expect((await jsonPost(authed({ origin: 'null' }))).status).toBe(403);
    expect(fake.calls).toEqual([]);
  });

  it('answers calls with a same-origin cookie or a Bearer token', async () => {
    const viaCookie = await jsonPost(authed({ origin }));
    expect(viaCookie.status).toBe(200);
    expect(JSON.parse(viaCookie.body)).toEqual({ ok: true, value: { reviewer: null, theme: 'system' } });
    const viaBearer = await jsonPost({ host, authorization: `Bearer ${server.token}` });
    expect(viaBearer.status).toBe(200);
    expect(fake.calls).toHaveLength(2);
    fake.calls.length = 0;
  });

  it('refuses malformed, oversized, mistyped and unknown calls with the right status', async () => {
    const h = authed({ origin });
    expect((await jsonPost(h, '{"service":')).status).toBe(400);
    expect((await jsonPost(h, JSON.stringify({ service: 'images', method: 'nope', args: [] }))).status).toBe(404);
    expect((await jsonPost(h, JSON.stringify({ service: 'images', method: 'constructor', args: [] }))).status).toBe(
      404,
    );
    expect((await jsonPost(h, JSON.stringify({ service: 'images', method: 'get', args: 'x' }))).status).toBe(400);
    expect((await jsonPost(h, 'x'.repeat(1024 * 1024 + 1))).status).toBe(413);
    const form = await send({
      method: 'POST',
      path: '/api/call',
      headers: { ...h, 'content-type': 'text/plain' },
      body: callBody,
    });
    expect(form.status).toBe(415);
    const badArgs = await jsonPost(h, JSON.stringify({ service: 'images', method: 'get', args: ['../x'] }));
    expect(badArgs.status).toBe(200);
    expect(JSON.parse(badArgs.body)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect((await send({ method: 'GET', path: '/api/call', headers: h })).status).toBe(405);
    expect((await send({ method: 'DELETE', path: '/', headers: h })).status).toBe(405);
    expect((await send({ method: 'GET', path: '/api/other', headers: h })).status).toBe(404);
    expect(fake.calls).toEqual([]);
  });

  it('serves images only by numeric id, with nosniff', async () => {
    const ok = await send({ method: 'GET', path: '/img/thumb/7', headers: authed() });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('PNGDATA');
    expect(ok.headers['content-type']).toBe('image/png');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect((await send({ method: 'GET', path: '/img/full/8', headers: authed() })).status).toBe(404);
    imageCalls.length = 0;
    for (const path of [
      '/img/thumb/../../etc/passwd',
      '/img/thumb/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/img/thumb/7.png',
      '/img/thumb/-1',
      '/img/thumb/0x10',
      '/img/thumb/%37',
      '/img/other/7',
      '/img/thumb/7/',
      '/img/thumb/' + '9'.repeat(40),
      '/img/thumb/0',
      '/img',
    ]) {
      const r = await send({ method: 'GET', path, headers: authed() });
      expect([400, 404], path).toContain(r.status);
    }
    expect(imageCalls).toEqual([]);
  });

  it('serves static files only from inside staticDir, with the SPA fallback and strict headers', async () => {
    const index = await send({ method: 'GET', path: '/', headers: authed() });
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>SSOD</title>');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(index.headers['content-security-policy']).not.toMatch(/https?:/);
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect((await send({ method: 'GET', path: '/assets/app.js', headers: authed() })).headers['content-type']).toMatch(
      /javascript/,
    );
    expect((await send({ method: 'GET', path: '/review', headers: authed() })).body).toContain('<title>SSOD</title>');
    expect((await send({ method: 'GET', path: '/missing.js', headers: authed() })).status).toBe(404);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
    ]) {
      const r = await send({ method: 'GET', path, headers: authed() });
      expect(r.body, path).not.toContain('outside');
      expect([200, 400, 404], path).toContain(r.status);
    }
  });

  it('streams events to a session and cleans up when the client leaves', async () => {
    const got: string[] = [];
    let resolveFirst!: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const conn = readSse(`${origin}/api/events`, { headers: { authorization: `Bearer ${server.token}` } }, (data) => {
      got.push(data);
      resolveFirst();
    });
    await vi.waitFor(() => expect(fake.events.listenerCount()).toBeGreaterThan(0));
    fake.events.emit('project.changed', null);
    await first;
    expect(JSON.parse(got[0] ?? '')).toEqual({ event: 'project.changed', payload: null });
    conn.close();
    await conn.done;
    await vi.waitFor(() => expect(fake.events.listenerCount()).toBe(0));
  });
});
