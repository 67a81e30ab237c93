// Walks a source folder ourselves instead of trusting a recursive readdir: names are read as bytes (so names that
// are not UTF-8 are reported, not mangled), every entry is lstat'ed before anything is opened, and a (dev, ino)
// set of visited folders means symlink loops can never recurse.
//
// Symlink policy (see also docs in the scan README section of the final report):
// - A link whose target resolves OUTSIDE the root is reported as skipped and never followed: a source is the
//   folder the user chose, and following links out of it would read (and later export) files they did not pick.
// - A link resolving INSIDE the root points at content the plain walk reaches anyway. Links are therefore
//   deferred until the plain walk is done, so the real path always wins (deterministic class and identity), and
//   a link is only followed when its target was not walked yet (e.g. it sits under an unreadable folder).
// - Broken links and loops are reported as skipped.
import { opendir, lstat, stat, realpath } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { resolve, sep } from 'node:path';
import type { Stats } from 'node:fs';
import type { ErrorCode } from '../shared/dto.js';
import { AppError } from '../shared/errors.js';
import { fsFailure } from './failure.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export type SpecialKind = 'fifo' | 'socket' | 'char-device' | 'block-device' | 'unknown';

export type SkipReason = 'symlink-outside-root' | 'symlink-already-walked' | 'broken-symlink' | 'symlink-loop';

interface EntryBase {
  /** Path relative to the root, '/'-separated. Lossy-escaped (see escapeName) when the name is not UTF-8. */
  relPath: string;
  /** Absolute path as seen under the root (may pass through a followed symlink). */
  absPath: string;
}

export type WalkEntry =
  /** A regular file. `openPath` is where to read it (the symlink's real target for linked files). */
  | (EntryBase & { type: 'file'; openPath: string; stat: FileStat; viaLink: boolean })
  /** FIFO, socket or device: never opened. */
  | (EntryBase & { type: 'special'; special: SpecialKind; stat: FileStat })
  /** A file or folder the walk could not use: unreadable folder, name that is not UTF-8, ... */
  | (EntryBase & {
      type: 'error';
      code: ErrorCode;
      message: string;
      isDirectory: boolean;
      stat: FileStat | null;
      /** Lossless raw bytes of the relative path (base64), set for 'invalid-utf8-name'. */
      relPathBase64?: string;
    })
  | (EntryBase & { type: 'skipped'; reason: SkipReason; target: string | null });

export interface WalkOptions {
  signal?: AbortSignal;
}

/** Absolute, resolved root plus its real path. Throws AppError when the root is not a readable folder. */
export async function resolveRoot(root: string): Promise<{ root: string; realRoot: string }> {
  const abs = resolve(root);
  let realRoot: string;
  let st: Stats;
  try {
    realRoot = await realpath(abs);
    st = await stat(realRoot);
  } catch (error) {
    throw new AppError('not-found', `folder not found: ${abs}`, { cause: error });
  }
  if (!st.isDirectory()) throw new AppError('invalid-argument', `not a folder: ${abs}`);
  return { root: abs, realRoot };
}

export function isInside(realRoot: string, realPath: string): boolean {
  return realPath === realRoot || realPath.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/**
 * Renders a name that is not valid UTF-8 readably and reversibly: valid UTF-8 runs stay, every other byte becomes
 * `%XX`, and a literal '%' becomes `%25`. (The raw bytes travel losslessly in relPathBase64 as well.)
 */
export function escapeName(name: Buffer): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const len = utf8SequenceLength(name, i);
    if (len === 0) {
      out += `%${name[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i += 1;
    } else {
      const ch = name.toString('utf8', i, i + len);
      out += ch === '%' ? '%25' : ch;
      i += len;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there does not start one. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len <= 1 || i + len > b.length) return len === 1 ? 1 : 0;
  return isUtf8(b.subarray(i, i + len)) ? len : 0;
}

function fileStat(st: Stats): FileStat {
  return { size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
}

function specialKind(st: Stats): SpecialKind {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const SEP = Buffer.from(sep);
const STAT_BATCH = 128;

const joinRel = (rel: string, name: string): string => (rel === '' ? name : `${rel}/${name}`);

interface DeferredLink {
  relPath: string;
  absPath: string;
  linkPath: Buffer;
}

/** What one walk remembers: folders walked (by device and inode), files reached through links, links deferred. */
interface WalkState {
  realRoot: string;
  visitedDirs: Set<string>;
  linkedFiles: Set<string>;
  deferred: DeferredLink[];
  signal: AbortSignal | undefined;
}

interface Subdir {
  buf: Buffer;
  rel: string;
  abs: string;
}

/** One folder being read: where it is, and the subfolders found in it (walked after its files). */
interface Folder {
  buf: Buffer;
  rel: string;
  abs: string;
  subdirs: Subdir[];
}

/**
 * Lazily yields every entry under `root`. Memory stays flat: files are yielded as they are read; only the names of
 * a folder's subfolders and the deferred symlinks are held.
 */
export async function* walk(rootPath: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const { root, realRoot } = await resolveRoot(rootPath);
  const rootStat = await stat(realRoot);
  const state: WalkState = {
    realRoot,
    visitedDirs: new Set<string>([`${rootStat.dev}:${rootStat.ino}`]),
    linkedFiles: new Set<string>(),
    deferred: [],
    signal: options.signal,
  };
  yield* walkDir(state, Buffer.from(realRoot), '', root);
  // Links last, so real paths always win. Following a linked folder may defer further links: loop until empty.
  while (state.deferred.length > 0) {
    state.signal?.throwIfAborted();
    yield* followLink(state, state.deferred.shift()!);
  }
}

function folderError(relPath: string, absPath: string, f: { code: ErrorCode; message: string }): WalkEntry {
  return { type: 'error', relPath, absPath, code: f.code, message: f.message, isDirectory: true, stat: null };
}

async function* walkDir(state: WalkState, dirBuf: Buffer, relDir: string, absDir: string): AsyncGenerator<WalkEntry> {
  let dir;
  try {
    dir = await opendir(dirBuf, { encoding: 'buffer' as BufferEncoding, bufferSize: 64 });
  } catch (error) {
    yield folderError(relDir, absDir, fsFailure(error, 'cannot open folder'));
    return;
  }
  const folder: Folder = { buf: dirBuf, rel: relDir, abs: absDir, subdirs: [] };
  // lstat in parallel batches: one await per batch instead of one thread-pool round trip per entry (the warm
  // rescan of an unchanged folder is nothing but this walk).
  let batch: Buffer[] = [];
  try {
    for await (const dirent of dir) {
      state.signal?.throwIfAborted();
      batch.push(dirent.name as unknown as Buffer);
      if (batch.length >= STAT_BATCH) {
        yield* statAndClassify(state, folder, batch);
        batch = [];
      }
    }
    yield* statAndClassify(state, folder, batch);
  } catch (error) {
    if (state.signal?.aborted) throw error;
    // readdir failed part-way (EIO, folder removed): report the folder, keep what was already yielded.
    yield folderError(relDir, absDir, fsFailure(error, 'cannot read folder'));
  }
  // for-await closes the Dir handle on completion or error.
  yield* walkSubdirs(state, folder.subdirs);
}

async function* statAndClassify(state: WalkState, folder: Folder, names: Buffer[]): AsyncGenerator<WalkEntry> {
  const stats = await Promise.all(
    names.map((nameBuf) =>
      lstat(Buffer.concat([folder.buf, SEP, nameBuf])).then(
        (st) => ({ st, error: null }),
        (error: unknown) => ({ st: null, error }),
      ),
    ),
  );
  for (let i = 0; i < names.length; i += 1) {
    state.signal?.throwIfAborted();
    const entry = classify(state, folder, names[i]!, stats[i]!.st, stats[i]!.error);
    if (entry) yield entry;
  }
}

/** A folder's entry as a WalkEntry, or null for a subfolder or a symlink (walked later, in that order). */
function classify(
  state: WalkState,
  folder: Folder,
  nameBuf: Buffer,
  st: Stats | null,
  error: unknown,
): WalkEntry | null {
  const childBuf = Buffer.concat([folder.buf, SEP, nameBuf]);
  const validName = isUtf8(nameBuf);
  const name = validName ? nameBuf.toString('utf8') : escapeName(nameBuf);
  const relPath = joinRel(folder.rel, name);
  const absPath = folder.abs + sep + name;
  if (!st) {
    const f = fsFailure(error, 'cannot stat');
    return { type: 'error', relPath, absPath, code: f.code, message: f.message, isDirectory: false, stat: null };
  }
  if (!validName) return invalidNameEntry(folder.rel, nameBuf, relPath, absPath, st);
  if (st.isSymbolicLink()) state.deferred.push({ relPath, absPath, linkPath: childBuf });
  else if (st.isDirectory()) folder.subdirs.push({ buf: childBuf, rel: relPath, abs: absPath });
  else if (st.isFile())
    return { type: 'file', relPath, absPath, openPath: absPath, stat: fileStat(st), viaLink: false };
  else return { type: 'special', relPath, absPath, special: specialKind(st), stat: fileStat(st) };
  return null;
}

function invalidNameEntry(relDir: string, nameBuf: Buffer, relPath: string, absPath: string, st: Stats): WalkEntry {
  const relBytes = relDir === '' ? nameBuf : Buffer.concat([Buffer.from(`${relDir}/`), nameBuf]);
  return {
    type: 'error',
    relPath,
    absPath,
    code: 'invalid-utf8-name',
    message: st.isDirectory()
      ? 'folder name is not valid UTF-8; its contents were not scanned'
      : 'file name is not valid UTF-8',
    isDirectory: st.isDirectory(),
    stat: fileStat(st),
    relPathBase64: relBytes.toString('base64'),
  };
}

async function* walkSubdirs(state: WalkState, subdirs: Subdir[]): AsyncGenerator<WalkEntry> {
  for (const sub of subdirs) {
    state.signal?.throwIfAborted();
    let st: Stats;
    try {
      st = await stat(sub.buf);
    } catch (error) {
      yield folderError(sub.rel, sub.abs, fsFailure(error, 'cannot stat folder'));
      continue;
    }
    const key = `${st.dev}:${st.ino}`;
    if (state.visitedDirs.has(key)) continue; // bind mounts and the like: never twice
    state.visitedDirs.add(key);
    yield* walkDir(state, sub.buf, sub.rel, sub.abs);
  }
}

/** A deferred symlink: skipped with its reason, or walked (a folder) or yielded (a file) once. */
async function* followLink(state: WalkState, link: DeferredLink): AsyncGenerator<WalkEntry> {
  const { relPath, absPath } = link;
  const skip = (reason: SkipReason, target: string | null): WalkEntry => ({
    type: 'skipped',
    relPath,
    absPath,
    reason,
    target,
  });
  let target: string;
  try {
    target = await realpath(link.linkPath);
  } catch (error) {
    yield skip((error as NodeJS.ErrnoException).code === 'ELOOP' ? 'symlink-loop' : 'broken-symlink', null);
    return;
  }
  if (!isInside(state.realRoot, target)) {
    yield skip('symlink-outside-root', target);
    return;
  }
  let st: Stats;
  let parent: Stats;
  try {
    st = await stat(target);
    parent = await stat(resolve(target, '..'));
  } catch {
    yield skip('broken-symlink', target);
    return;
  }
  if (st.isDirectory()) {
    const key = `${st.dev}:${st.ino}`;
    if (state.visitedDirs.has(key)) {
      yield skip('symlink-already-walked', target);
      return;
    }
    state.visitedDirs.add(key);
    yield* walkDir(state, Buffer.from(target), relPath, absPath);
    return;
  }
  // A linked file was already yielded when its folder was walked, or by an earlier link to it.
  const fileKey = `${st.dev}:${st.ino}`;
  if (state.visitedDirs.has(`${parent.dev}:${parent.ino}`) || state.linkedFiles.has(fileKey)) {
    yield skip('symlink-already-walked', target);
    return;
  }
  state.linkedFiles.add(fileKey);
  if (st.isFile()) yield { type: 'file', relPath, absPath, openPath: target, stat: fileStat(st), viaLink: true };
  else yield { type: 'special', relPath, absPath, special: specialKind(st), stat: fileStat(st) };
}

/** Fast count of regular files (no symlinks followed), for progress totals before the real scan. */
export async function countFiles(rootPath: string, signal?: AbortSignal): Promise<number> {
  const { realRoot } = await resolveRoot(rootPath);
  let count = 0;
  const stack: Buffer[] = [Buffer.from(realRoot)];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const dirBuf = stack.pop()!;
    try {
      const dir = await opendir(dirBuf, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
      for await (const d of dir) {
        if (d.isDirectory()) stack.push(Buffer.concat([dirBuf, Buffer.from(sep), d.name as unknown as Buffer]));
        else if (!d.isSymbolicLink()) count += 1;
      }
    } catch {
      // Unreadable folders are reported by the real walk; the count is only an estimate.
    }
  }
  return count;
}
