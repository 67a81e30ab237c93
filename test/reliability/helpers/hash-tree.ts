// "Sources are never written": a fingerprint of a folder taken before and after a test that scans, trains,
// reviews or exports. It walks with lstat and never follows links or opens special files, so it is safe on the
// hostile trees too (loops, FIFOs, names that are not UTF-8).
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeHash {
  /** One digest of everything below. */
  digest: string;
  /** path (latin1 of the raw bytes, so invalid UTF-8 stays distinct) → what was there. */
  entries: Map<string, string>;
}

/**
 * Hashes names, types, sizes, modes, mtimes, file contents and link targets below `dir`. Access times are left
 * out: reading a file may change them and reading is allowed.
 */
export function hashTree(dir: string): TreeHash {
  const entries = new Map<string, string>();
  const visit = (abs: Buffer, rel: string): void => {
    const st = lstatSync(abs);
    const meta = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
    if (st.isSymbolicLink()) {
      entries.set(rel, `link ${meta} -> ${readlinkSync(abs, { encoding: 'buffer' }).toString('latin1')}`);
    } else if (st.isFile()) {
      entries.set(rel, `file ${meta} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
    } else if (st.isDirectory()) {
      entries.set(rel, `dir ${st.mode.toString(8)}`);
      const names = readdirSync(abs, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b));
      for (const name of names) {
        visit(Buffer.concat([abs, Buffer.from('/'), name]), `${rel}/${name.toString('latin1')}`);
      }
    } else {
      entries.set(rel, `special ${meta}`);
    }
  };
  visit(Buffer.from(dir), '.');
  const h = createHash('sha256');
  for (const [k, v] of entries) h.update(`${k}\0${v}\n`);
  return { digest: h.digest('hex'), entries };
}

/** Human-readable differences between two hashes (empty when identical). */
export function treeDiff(before: TreeHash, after: TreeHash, max = 20): string[] {
  const out: string[] = [];
  for (const [k, v] of before.entries) {
    const now = after.entries.get(k);
    if (now === undefined) out.push(`removed ${JSON.stringify(k)}`);
    else if (now !== v) out.push(`changed ${JSON.stringify(k)}: ${v} => ${now}`);
  }
  for (const k of after.entries.keys()) if (!before.entries.has(k)) out.push(`added ${JSON.stringify(k)}`);
  return out.slice(0, max);
}

/** Convenience for tests: join paths without importing node:path everywhere. */
export const at = (...parts: string[]): string => join(...parts);
