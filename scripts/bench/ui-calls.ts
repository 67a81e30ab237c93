// Where the review grid's service time goes, without a browser: opens the bench project kept by
// `ui.ts --project DIR` (generating it when missing), makes the service calls the grid's first paint, a re-sort
// and a scorer change make (as `ui.ts --trace` recorded them), each twice (cold: first since open; warm), and
// prints per call the SQL statements it ran with their time and SQLite's query plan for the slow ones.
//   node bin/run-ts.js scripts/bench/ui-calls.ts --images 1000000 --project /tmp/ssod-bench/ui-1000000
import Database from 'better-sqlite3';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Api } from '../../src/shared/api.js';
import { machineLine } from './machine.js';
import { createUiProject } from './ui-project.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '100000' },
    project: { type: 'string' },
    'plan-ms': { type: 'string', default: '20' },
  },
});
const images = Number(values.images);
const planMs = Number(values['plan-ms']);

interface StatementTime {
  sql: string;
  ms: number;
  calls: number;
}
let statements = new Map<string, StatementTime>();

/** Times every statement run on any connection of this process (better-sqlite3 is synchronous). */
function instrumentStatements(): void {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  const record = (sql: string, ms: number) => {
    const s = statements.get(sql) ?? { sql, ms: 0, calls: 0 };
    s.ms += ms;
    s.calls += 1;
    statements.set(sql, s);
  };
  for (const name of ['get', 'all', 'run']) {
    const original = proto[name] as (this: { source: string }, ...a: unknown[]) => unknown;
    proto[name] = function (this: { source: string }, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        record(this.source, performance.now() - t0);
      }
    };
  }
  const iterate = proto.iterate as (this: { source: string }, ...a: unknown[]) => Iterator<unknown>;
  proto.iterate = function* (this: { source: string }, ...args: unknown[]) {
    let ms = 0;
    const it = iterate.apply(this, args);
    try {
      for (;;) {
        const t0 = performance.now();
        const next = it.next();
        ms += performance.now() - t0;
        if (next.done) return;
        yield next.value;
      }
    } finally {
      record(this.source, ms);
    }
  };
}

type Call = [string, (api: Api) => Promise<unknown>];

const firstPaint: Call[] = [
  ['images.classes', (a) => a.images.classes()],
  ['runs.list', (a) => a.runs.list()],
  ['images.list default page', (a) => a.images.list({ sortBy: 'ssod', order: 'desc', offset: 0, limit: 240 })],
  ['labeling.classes', (a) => a.labeling.classes()],
  ['labeling.accuracy', (a) => a.labeling.accuracy()],
  ['images.histogram ssod', (a) => a.images.histogram('ssod', 60, {})],
  ['projects.status', (a) => a.projects.status()],
  ['images.list flagged total', (a) => a.images.list({ flagged: true, sortBy: 'ssod', order: 'desc', limit: 1 })],
  ['images.list train total', (a) => a.images.list({ role: 'train', status: 'ok', sortBy: 'ssod', limit: 1 })],
  [
    'images.list train flagged total',
    (a) => a.images.list({ role: 'train', status: 'ok', flagged: true, sortBy: 'ssod', limit: 1 }),
  ],
  ['images.list page 2', (a) => a.images.list({ sortBy: 'ssod', order: 'desc', offset: 240, limit: 240 })],
  ['runs.evalFromReviews', (a) => a.runs.evalFromReviews(0.95)],
];
const resort: Call[] = [
  ['images.list asc page', (a) => a.images.list({ sortBy: 'ssod', order: 'asc', offset: 0, limit: 240 })],
  ['images.list asc flagged', (a) => a.images.list({ flagged: true, sortBy: 'ssod', order: 'asc', limit: 1 })],
];
const scorer: Call[] = [
  ['images.list msp page', (a) => a.images.list({ sortBy: 'msp', order: 'desc', offset: 0, limit: 240 })],
  ['images.histogram msp', (a) => a.images.histogram('msp', 60, {})],
  ['images.list msp flagged', (a) => a.images.list({ flagged: true, sortBy: 'msp', order: 'desc', limit: 1 })],
  ['images.list msp train', (a) => a.images.list({ role: 'train', status: 'ok', sortBy: 'msp', limit: 1 })],
  [
    'images.list msp train flagged',
    (a) => a.images.list({ role: 'train', status: 'ok', flagged: true, sortBy: 'msp', limit: 1 }),
  ],
  [
    'images.list threshold commit',
    (a) => a.images.list({ flagged: true, sortBy: 'msp', order: 'desc', threshold: 0.5, limit: 1 }),
  ],
];

function explain(db: Database.Database, sql: string): string {
  try {
    // Named parameters are bound as NULL: the plan depends on the statement's shape, not on the values.
    const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1]!, null] as const));
    const positional = (sql.match(/\?/g) ?? []).map(() => null);
    const rows = (Object.keys(params).length ? stmt.all(params) : stmt.all(...positional)) as { detail: string }[];
    return rows.map((r) => `        ${r.detail}`).join('\n');
  } catch (error) {
    return `        (no plan: ${(error as Error).message})`;
  }
}

async function timeCalls(api: Api, db: Database.Database, title: string, calls: Call[]): Promise<number> {
  console.log(`\n## ${title}`);
  let total = 0;
  for (const [name, call] of calls) {
    statements = new Map();
    const t0 = performance.now();
    await call(api);
    const ms = performance.now() - t0;
    total += ms;
    console.log(`${ms.toFixed(1).padStart(9)} ms  ${name}`);
    const slow = [...statements.values()].filter((s) => s.ms >= planMs).sort((a, b) => b.ms - a.ms);
    for (const s of slow) {
      console.log(`    ${s.ms.toFixed(1)} ms in ${s.calls} call(s): ${s.sql.replace(/\s+/g, ' ').slice(0, 300)}`);
      console.log(explain(db, s.sql));
    }
  }
  console.log(`${total.toFixed(1).padStart(9)} ms  total`);
  return total;
}

async function main() {
  instrumentStatements();
  const project = await createUiProject(images, values.project);
  const planDb = new Database(join(project.projectDir, 'project.db'), { readonly: true });
  try {
    console.log(`ui-calls — ${images.toLocaleString('en-US')} images in ${project.projectDir}`);
    console.log(machineLine());
    const api = project.services.api;
    for (const round of ['cold', 'warm']) {
      await timeCalls(api, planDb, `first paint's calls (${round})`, firstPaint);
      await timeCalls(api, planDb, `re-sort (${round})`, resort);
      await timeCalls(api, planDb, `scorer change and threshold (${round})`, scorer);
    }
    console.log(
      `\nload average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    planDb.close();
    await project.dispose();
  }
}

await main();
