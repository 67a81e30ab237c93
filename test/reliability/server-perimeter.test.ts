// Promise 4 of issue 6: the browser-mode server lets no one in. Generates 10,000 hostile requests (seeded), each
// with the status it must get; every one must be refused with that status, the server must keep serving the
// controls interleaved with them, and the fake services must record zero calls. SSOD_PERIMETER_CASES scales it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeApi, type FakeApi } from '../../src/rpc/testing/fake-api.js';
import { startServer, type RunningServer } from '../../src/server/http-server.js';
import { rawRequest, type RawResponse } from '../../src/server/testing/raw-request.js';
import { createRng } from '../../src/shared/random.js';

const CASES = Number(process.env.SSOD_PERIMETER_CASES ?? 10_000);
const CONCURRENCY = 8;
const SECRET = 'SECRET-OUTSIDE-STATIC-DIR';

interface Case {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Statuses that count as a correct refusal (or, for controls, success). */
  expect: number[];
  control?: boolean;
  /** For 200-with-error replies: the body must be { ok: false }. */
  expectErrorReply?: boolean;
}

let dir: string;
let server: RunningServer;
let fake: FakeApi;
const imageCalls: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssod-perimeter-'));
  const www = join(dir, 'www');
  await mkdir(join(www, 'assets'), { recursive: true });
  await writeFile(join(www, 'index.html'), '<!doctype html><title>SSOD</title>');
  await writeFile(join(www, 'assets', 'app.js'), 'export {}');
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await writeFile(join(dir, 'secret'), SECRET);
  fake = createFakeApi();
  server = await startServer({
    api: fake.api,
    events: fake.events,
    staticDir: www,
    images: (_variant, id) => {
      imageCalls.push(id);
      return Promise.resolve(id === 7 ? { body: Buffer.from('img'), contentType: 'image/png' } : null);
    },
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function generate(n: number, port: number, token: string): Case[] {
  const rand = createRng(20250101);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  const cookie = `ssod_session_${port}=${token}`;
  const good = { host, cookie, origin };
  const json = 'application/json';
  const routes = [
    '/',
    '/index.html',
    '/review',
    '/assets/app.js',
    '/api/call',
    '/api/events',
    '/img/thumb/7',
    '/img/full/7',
  ];
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  const wrongTokens = () => [
    'x',
    token.slice(0, -1),
    `${token}x`,
    token.toUpperCase() === token ? 'wrong' : token.toUpperCase(),
    Buffer.from(String(rand())).toString('base64url'),
    '',
  ];
  const badHosts = [
    `evil.example:${port}`,
    `evil.example`,
    '127.0.0.1',
    `127.0.0.1:${port + 1}`,
    `localhost:${port === 80 ? 81 : 80}`,
    `attacker.localhost:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `localhost.evil.com:${port}`,
    `[::2]:${port}`,
    `10.0.0.1:${port}`,
    `127.0.0.1:${port}@evil.example`,
  ];
  const foreignOrigins = [
    'http://evil.example',
    'null',
    `http://127.0.0.1:${port + 1}`,
    `https://127.0.0.1:${port}`,
    `http://localhost.evil.com:${port}`,
    'file://',
    `http://attacker.localhost:${port}`,
  ];
  const badIds = [
    '../../etc/passwd',
    '..%2f..%2fetc%2fpasswd',
    '%2e%2e%2f%2e%2e%2fsecret',
    '%2e%2e',
    '..',
    '.',
    '7%2f..%2f..%2fsecret',
    '7/../../secret',
    '7.png',
    '-1',
    '0',
    '0x7',
    '1e3',
    '%37',
    '%20',
    '',
    'abc',
    '7;ls',
    '%D9%A3',
    '7%00',
    '9'.repeat(30),
    '7/',
    '%252e%252e',
    '..%5c..%5csecret',
  ];
  const staticTraversal = [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2f..%2fsecret.txt',
    '/%2e%2e%2fsecret',
    '/..%5csecret',
    '/%00',
    '/assets/%2e%2e/%2e%2e/secret',
    '/%c0%ae%c0%ae/secret',
  ];
  const malformed = [
    '{',
    '{"service":',
    '',
    'null',
    '[]',
    '"images.get"',
    '42',
    'true',
    '{"service":"images"}',
    '{"service":"images","method":"get","args":"1"}',
    '{"service":1,"method":"get","args":[]}',
    '{"service":"images","method":"get","args":[1],"x":1}',
    "{'service':'images'}",
    '\u0000\u0001\u0002',
    '{"service":"images","method":"get","args":[1]}garbage',
  ];
  const unknownCalls: [string, string][] = [
    ['__proto__', 'toString'],
    ['constructor', 'prototype'],
    ['images', '__proto__'],
    ['images', 'constructor'],
    ['images', 'toString'],
    ['images', 'hasOwnProperty'],
    ['images', 'valueOf'],
    ['projects', 'delete'],
    ['db', 'exec'],
    ['review', 'drop'],
    ['settings', '__defineGetter__'],
    ['', ''],
  ];
  const badArgs: [string, string, unknown[]][] = [
    ['review', 'decide', [{ imageIds: ['1'], action: 'reject' }]],
    ['review', 'decide', [{ imageIds: [1], action: 'burn' }]],
    // A literal `__proto__:` would set the prototype and vanish from JSON: build the own key instead.
    ['review', 'decide', [JSON.parse('{"imageIds":[1],"action":"keep","__proto__":{"admin":true}}')]],
    ['review', 'undo', ['all']],
    ['projects', 'create', [42]],
    ['projects', 'open', ['a\u0000b']],
    ['sources', 'add', ['/tmp', 'root']],
    ['jobs', 'export', [{ out: '/tmp/x', mode: 'move' }]],
    ['settings', 'set', [{ reviewer: 'x', admin: true }]],
    ['images', 'get', [1, 2, 3]],
    ['runs', 'setCurrent', [-1]],
  ];

  const kinds: [string, number, () => Case][] = [
    [
      'no-token',
      12,
      () => {
        const path = rand() < 0.2 ? '/auth' : pick(routes);
        const method = path === '/api/call' ? 'POST' : 'GET';
        return {
          kind: 'no-token',
          method,
          path,
          headers: { host, origin, 'content-type': json },
          body: '{}',
          expect: [401],
        };
      },
    ],
    [
      'wrong-token',
      12,
      () => {
        const wrong = pick(wrongTokens());
        const how = Math.floor(rand() * 3);
        if (how === 0)
          return {
            kind: 'wrong-token',
            method: 'GET',
            path: `/auth?token=${encodeURIComponent(wrong)}`,
            headers: { host },
            expect: [401],
          };
        const auth: Record<string, string> =
          how === 1 ? { cookie: `ssod_session_${port}=${wrong}` } : { authorization: `Bearer ${wrong}` };
        const path = pick(routes);
        const method = path === '/api/call' ? 'POST' : 'GET';
        return {
          kind: 'wrong-token',
          method,
          path,
          headers: { host, origin, 'content-type': json, ...auth },
          body: '{}',
          expect: [401],
        };
      },
    ],
    [
      'bad-host',
      12,
      () => {
        const path = rand() < 0.2 ? `/auth?token=${token}` : pick(routes);
        return {
          kind: 'bad-host',
          method: pick(methods),
          path,
          headers: { ...good, host: pick(badHosts) },
          expect: [403],
        };
      },
    ],
    ['no-host', 2, () => ({ kind: 'no-host', method: 'GET', path: '/', headers: { cookie }, expect: [400] })],
    [
      'foreign-origin',
      14,
      () => {
        const path = rand() < 0.1 ? `/auth?token=${token}` : pick(routes);
        const headers = { ...good, origin: pick(foreignOrigins), 'content-type': json };
        if (rand() < 0.3) delete (headers as Partial<typeof headers>).cookie;
        return { kind: 'foreign-origin', method: pick(methods), path, headers, expect: [403] };
      },
    ],
    [
      'csrf-no-origin',
      5,
      () => ({
        kind: 'csrf-no-origin',
        method: pick(['POST', 'PUT', 'DELETE', 'PATCH']),
        path: '/api/call',
        headers: { host, cookie, 'content-type': json },
        body: JSON.stringify({ service: 'review', method: 'decide', args: [{ imageIds: [1], action: 'reject' }] }),
        expect: [403],
      }),
    ],
    [
      'image-id',
      12,
      () => ({
        kind: 'image-id',
        method: 'GET',
        path: `/img/${pick(['thumb', 'full', 'raw', '..'])}/${pick(badIds)}`,
        headers: good,
        expect: [400, 404],
      }),
    ],
    [
      'static-traversal',
      5,
      () => ({
        kind: 'static-traversal',
        method: 'GET',
        path: pick(staticTraversal),
        headers: good,
        expect: [400, 404],
      }),
    ],
    [
      'oversized',
      1,
      () => ({
        kind: 'oversized',
        method: 'POST',
        path: '/api/call',
        headers: { ...good, 'content-type': json },
        body: Buffer.alloc(1024 * 1024 + 1 + Math.floor(rand() * 65536), 0x20),
        expect: [413],
      }),
    ],
    [
      'malformed-json',
      8,
      () => ({
        kind: 'malformed-json',
        method: 'POST',
        path: '/api/call',
        headers: { ...good, 'content-type': json },
        body: pick(malformed),
        expect: [400],
      }),
    ],
    [
      'wrong-content-type',
      3,
      () => ({
        kind: 'wrong-content-type',
        method: 'POST',
        path: '/api/call',
        headers: {
          ...good,
          'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']),
        },
        body: JSON.stringify({ service: 'review', method: 'decide', args: [{ imageIds: [1], action: 'reject' }] }),
        expect: [415],
      }),
    ],
    [
      'unknown-rpc-method',
      6,
      () => {
        const [service, method] = pick(unknownCalls);
        return {
          kind: 'unknown-rpc-method',
          method: 'POST',
          path: '/api/call',
          headers: { ...good, 'content-type': json },
          body: JSON.stringify({ service, method, args: [] }),
          expect: [404],
        };
      },
    ],
    [
      'bad-arguments',
      5,
      () => {
        const [service, method, args] = pick(badArgs);
        return {
          kind: 'bad-arguments',
          method: 'POST',
          path: '/api/call',
          headers: { ...good, 'content-type': json },
          body: JSON.stringify({ service, method, args }),
          expect: [200],
          expectErrorReply: true,
        };
      },
    ],
    [
      'wrong-http-method',
      6,
      () => {
        const path = pick(['/api/call', '/api/events', '/img/thumb/7', '/', '/index.html', '/auth']);
        const method = pick(
          path === '/api/call'
            ? ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']
            : ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
        );
        return {
          kind: 'wrong-http-method',
          method,
          path,
          headers: { ...good, 'content-type': json },
          body: '{}',
          expect: [405],
        };
      },
    ],
    [
      'unknown-route',
      3,
      () => ({
        kind: 'unknown-route',
        method: 'GET',
        path: pick(['/api', '/api/', '/api/call2', '/api/admin', '/api/events/x']),
        headers: good,
        expect: [404],
      }),
    ],
  ];
  const total = kinds.reduce((s, [, w]) => s + w, 0);
  const cases: Case[] = [];
  let hostile = 0;
  for (let i = 0; hostile < n; i++) {
    // Every 20th request is a control that must succeed: the server keeps serving while under attack.
    if (i % 20 === 19) {
      cases.push(
        rand() < 0.5
          ? { kind: 'control', method: 'GET', path: '/img/thumb/7', headers: good, expect: [200], control: true }
          : { kind: 'control', method: 'GET', path: '/', headers: good, expect: [200], control: true },
      );
      continue;
    }
    let r = rand() * total;
    for (const [, weight, make] of kinds) {
      r -= weight;
      if (r < 0) {
        cases.push(make());
        hostile++;
        break;
      }
    }
  }
  return cases;
}

describe('browser-mode server perimeter', () => {
  it(`refuses ${CASES} hostile requests with the right status and calls nothing`, async () => {
    expect(server.host).toBe('127.0.0.1');
    const cases = generate(CASES, server.port, server.token);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const failures: string[] = [];
    const byKind = new Map<string, number>();
    let accepted = 0;
    let next = 0;
    const started = performance.now();

    const check = (c: Case, res: RawResponse) => {
      byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
      let ok = c.expect.includes(res.status);
      if (ok && c.expectErrorReply) ok = (JSON.parse(res.body) as { ok: boolean }).ok === false;
      if (res.body.includes(SECRET)) ok = false;
      if (!ok) {
        if (!c.control) accepted++;
        if (failures.length < 20)
          failures.push(
            `${c.kind} ${c.method} ${c.path} ${JSON.stringify(c.headers)} ${String(c.body ?? '').slice(0, 120)} -> ${res.status} ${res.body.slice(0, 120)}`,
          );
      }
    };

    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        const res = await rawRequest({
          port: server.port,
          method: c.method,
          path: c.path,
          headers: c.headers,
          body: c.body,
          agent,
        });
        check(c, res);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;

    const hostile = cases.filter((c) => !c.control).length;
    const controls = cases.length - hostile;
    console.log(
      `server perimeter: ${hostile} cases, ${accepted} accepted; ${controls} controls served; ${seconds.toFixed(1)} s`,
    );
    console.log(`  by kind: ${[...byKind].map(([k, n]) => `${k}=${n}`).join(', ')}`);
    expect(failures).toEqual([]);
    expect(accepted).toBe(0);
    expect(fake.calls).toEqual([]);
    expect(imageCalls.every((id) => id === 7)).toBe(true);

    // Still serving after the storm: a real call goes through.
    const after = await rawRequest({
      port: server.port,
      method: 'POST',
      path: '/api/call',
      headers: {
        host: `127.0.0.1:${server.port}`,
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ service: 'settings', method: 'get', args: [] }),
    });
    expect(after.status).toBe(200);
    expect(fake.calls).toHaveLength(1);
  });
});
