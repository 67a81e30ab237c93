// Child of decisions-crash.test.ts: writes review decisions through the real store as fast as it can until it is
// SIGKILLed. Each operation's reviewer name is a tag `k<kill>.o<op>.<kind>.n<rows>` that carries how many events
// the operation must append, so the parent can check all-or-nothing without any other record. After each commit
// it prints `ack <tag> <firstEventId> <lastEventId>`; before it, `begin <tag>`.
// Usage: decisions-writer DB SEED KILL_INDEX
import { appendDecisions, openDatabase, undoDecisions } from '../../../src/db/index.js';
import type { Action } from '../../../src/shared/dto.js';
import { rng } from './rng.js';

const [file, seedArg, killArg] = process.argv.slice(2);
if (!file || !seedArg || !killArg) {
  console.error('usage: decisions-writer DB SEED KILL_INDEX');
  process.exit(2);
}
const r = rng(Number(seedArg));
const db = openDatabase(file, { create: false });
const imageIds = db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
const currentStmt = db.prepare('SELECT image_id FROM current_decisions ORDER BY image_id').pluck();
const BATCH = 1000;

function pickDistinct(pool: readonly number[], n: number): number[] {
  const chosen = new Set<number>();
  const want = Math.min(n, pool.length);
  while (chosen.size < want) chosen.add(pool[r.int(0, pool.length - 1)] as number);
  return [...chosen];
}

const write = (line: string): void => {
  // Synchronous on purpose: the acknowledgement must be out before the next transaction starts.
  process.stdout.write(`${line}\n`);
};

write('ready');
for (let op = 0; ; op += 1) {
  const roll = r.next();
  let kind: string;
  let ids: number[];
  if (roll < 0.45) {
    kind = 'one';
    ids = pickDistinct(imageIds, 1);
  } else if (roll < 0.7) {
    kind = 'batch';
    ids = pickDistinct(imageIds, BATCH);
  } else {
    const standing = currentStmt.all() as number[];
    if (standing.length === 0) continue;
    kind = roll < 0.85 ? 'undo1' : 'undoN';
    ids = pickDistinct(standing, kind === 'undo1' ? 1 : r.int(2, BATCH));
  }
  const tag = `k${killArg}.o${op}.${kind}.n${ids.length}`;
  write(`begin ${tag}`);
  let events;
  if (kind.startsWith('undo')) {
    events = undoDecisions(db, ids, tag);
  } else {
    const action = r.pick<Action>(['keep', 'reject', 'relabel', 'unsure']);
    events = appendDecisions(db, {
      imageIds: ids,
      action,
      newClass: action === 'relabel' ? `class-${r.int(0, 4)}` : null,
      note: r.next() < 0.3 ? `note ${op} ✓` : null,
      reviewer: tag,
      runId: null,
    });
  }
  if (events.length !== ids.length) {
    console.error(`${tag}: ${events.length} events for ${ids.length} ids`);
    process.exit(3);
  }
  write(`ack ${tag} ${events[0]?.id} ${events[events.length - 1]?.id}`);
}
