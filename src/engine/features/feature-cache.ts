// The feature cache: one record per (image content sha256, backbone key), computed once and reused by every run
// and retrain, so a rescan only extracts new or changed images.
//
// On disk, per backbone key, a folder `<slug>-<hash>/` holding:
//   meta.json          { format, backboneKey, layout, recordBytes }, written once via temp + rename
//   shard-NNNN.ssf     append-only files of fixed-size records (a shard holds at most ~1 GiB)
//   writer.lock        pid of the one process allowed to append (stale locks of dead processes are taken over)
// A record is little-endian:
//   0  u32 magic 'SSFR' | 4 u32 payload bytes | 8 sha256 (32 raw bytes) | 40 u32 crc32(payload) | 44 u32 0
//   48 map as float16 [mapH*mapW*mapC] (padded to 4 bytes) | pooled as float32 [pooledC] | padding to 8 bytes
// Why this shape: the layout is fixed per backbone key, so every record has the same size and its offset is
// slot * recordBytes: no separate index file to keep consistent, the index (sha -> shard, slot) is rebuilt at
// open by reading the 48-byte headers. Records are only ever appended with one write() each (O_APPEND), so a
// SIGKILL can only leave a torn tail: the reader ignores a partial record and the next writer truncates it, and
// the crc32 catches anything else (checked once per record per process, when it is first read). float16 halves
// the dominant cost (7x7x1280 maps: 125 KiB instead of 250 KiB per image) at a precision far below what the
// heads resolve; the pooled vector, which feeds the distance baselines, stays float32.

import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { FeatureLayout, FeatureStore } from '../types.js';
import { decodeFloat16, encodeFloat16 } from './float16.js';

const FORMAT = 'ssod-features/1';
const MAGIC = 0x52465353; // 'SSFR' little-endian
const HEADER_BYTES = 48;
const SHARD_BYTES = 1 << 30;
const WRITE_BUFFER_BYTES = 16 << 20;

export interface FeatureCache {
  readonly dir: string;
  readonly backboneKey: string;
  readonly layout: FeatureLayout;
  /** Records committed or pending in this process. */
  readonly count: number;
  has(sha256: string): boolean;
  /** Queues one image's features; false when the sha is already cached. `maps` may be float16 bits already
   * (Uint16Array, e.g. encoded by an extraction worker) or float32. */
  append(sha256: string, maps: Float32Array | Uint16Array, pooled: Float32Array): boolean;
  /** Writes queued records and fsyncs: after it returns they survive a crash of this process or the machine. */
  flush(): Promise<void>;
  /** Rows in the order of `shas` (duplicates allowed). Flushes first so queued records are readable. */
  featureStore(shas: readonly string[]): FeatureStore;
  close(): Promise<void>;
}

interface Slot {
  shard: number;
  slot: number;
}

function isSha256(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

function recordGeometry(layout: FeatureLayout): { mapN: number; pooledOffset: number; recordBytes: number } {
  const mapN = layout.mapH * layout.mapW * layout.mapC;
  const pooledOffset = HEADER_BYTES + Math.ceil((mapN * 2) / 4) * 4;
  const recordBytes = Math.ceil((pooledOffset + layout.pooledC * 4) / 8) * 8;
  return { mapN, pooledOffset, recordBytes };
}

/** Folder name for a backbone key: readable prefix plus a hash, since keys may hold ':' '/' '#'. */
export function cacheFolderName(backboneKey: string): string {
  const slug = backboneKey
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .slice(0, 40);
  const hash = createHash('sha256').update(backboneKey).digest('hex').slice(0, 16);
  return `${slug}-${hash}`;
}

function shardName(i: number): string {
  return `shard-${String(i).padStart(4, '0')}.ssf`;
}

function validateLayout(layout: FeatureLayout): void {
  for (const k of ['mapH', 'mapW', 'mapC', 'pooledC'] as const) {
    const v = layout[k];
    if (!Number.isInteger(v) || v < 1 || v > 1 << 20) {
      throw new AppError('invalid-argument', `feature layout ${k} must be a positive integer, got ${String(v)}`);
    }
  }
}

function sameLayout(a: FeatureLayout, b: FeatureLayout): boolean {
  return a.mapH === b.mapH && a.mapW === b.mapW && a.mapC === b.mapC && a.pooledC === b.pooledC;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openFeatureCache(
  cacheDir: string,
  backboneKey: string,
  layout: FeatureLayout,
): Promise<FeatureCache> {
  validateLayout(layout);
  const dir = join(cacheDir, cacheFolderName(backboneKey));
  await mkdir(dir, { recursive: true });
  const geometry = recordGeometry(layout);
  const metaPath = join(dir, 'meta.json');
  const meta = { format: FORMAT, backboneKey, layout, recordBytes: geometry.recordBytes };
  let existing: typeof meta | undefined;
  try {
    existing = JSON.parse(await readFile(metaPath, 'utf8')) as typeof meta;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('io-error', `feature cache ${metaPath} is unreadable: ${(e as Error).message}`);
    }
  }
  if (existing) {
    if (existing.format !== FORMAT || existing.backboneKey !== backboneKey || !sameLayout(existing.layout, layout)) {
      throw new AppError(
        'invalid-argument',
        `feature cache ${dir} holds ${existing.backboneKey} ${JSON.stringify(existing.layout)}, ` +
          `not ${backboneKey} ${JSON.stringify(layout)}`,
      );
    }
  } else {
    const tmp = `${metaPath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(meta, null, 2));
    await rename(tmp, metaPath);
  }
  const cache = new ShardedCache(dir, backboneKey, layout, geometry);
  await cache.load();
  return cache;
}

/** Reads a cache's layout from disk without knowing it in advance (e.g. to score with a saved model). */
export async function readCacheLayout(cacheDir: string, backboneKey: string): Promise<FeatureLayout | undefined> {
  try {
    const text = await readFile(join(cacheDir, cacheFolderName(backboneKey), 'meta.json'), 'utf8');
    return (JSON.parse(text) as { layout: FeatureLayout }).layout;
  } catch {
    return undefined;
  }
}

class ShardedCache implements FeatureCache {
  private readonly index = new Map<string, Slot>();
  /** Records per shard on disk (including pending ones already assigned a slot). */
  private readonly shardCounts: number[] = [];
  private readonly readFds = new Map<number, number>();
  private readonly verified = new Set<string>();
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private pendingShard = -1;
  private writeFd: number | undefined;
  private writeShard = -1;
  private locked = false;
  private closed = false;
  private readonly perShard: number;
  private readonly scratch: Uint8Array;

  constructor(
    readonly dir: string,
    readonly backboneKey: string,
    readonly layout: FeatureLayout,
    private readonly geometry: { mapN: number; pooledOffset: number; recordBytes: number },
  ) {
    this.perShard = Math.max(1, Math.floor(SHARD_BYTES / geometry.recordBytes));
    this.scratch = new Uint8Array(new ArrayBuffer(geometry.recordBytes));
  }

  get count(): number {
    return this.index.size;
  }

  /** Rebuilds sha -> (shard, slot) from the record headers; stops a shard at its first bad or torn record. */
  async load(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => /^shard-\d{4}\.ssf$/.test(n)).sort();
    const header = new Uint8Array(HEADER_BYTES);
    const view = new DataView(header.buffer);
    for (let s = 0; s < names.length; s++) {
      if (names[s] !== shardName(s)) break; // a gap means nothing after it was ever committed by us
      const fd = openSync(join(this.dir, shardName(s)), 'r');
      this.readFds.set(s, fd);
      const whole = Math.floor(fstatSync(fd).size / this.geometry.recordBytes);
      let valid = 0;
      for (; valid < whole; valid++) {
        const got = readSync(fd, header, 0, HEADER_BYTES, valid * this.geometry.recordBytes);
        if (got !== HEADER_BYTES || view.getUint32(0, true) !== MAGIC) break;
        const sha = Buffer.from(header.subarray(8, 40)).toString('hex');
        if (!this.index.has(sha)) this.index.set(sha, { shard: s, slot: valid });
      }
      // The last record is the one a kill could have torn: check its payload now.
      if (valid > 0 && !this.verifySlot(s, valid - 1)) {
        valid--;
        for (const [sha, at] of this.index) if (at.shard === s && at.slot === valid) this.index.delete(sha);
      }
      this.shardCounts.push(valid);
      if (valid < whole || valid < this.perShard) break;
    }
  }

  has(sha256: string): boolean {
    return this.index.has(sha256);
  }

  append(sha256: string, maps: Float32Array | Uint16Array, pooled: Float32Array): boolean {
    if (this.closed) throw new Error('feature cache is closed');
    if (!isSha256(sha256)) throw new AppError('invalid-argument', `not a sha256: ${sha256}`);
    if (maps.length !== this.geometry.mapN || pooled.length !== this.layout.pooledC) {
      throw new AppError(
        'invalid-argument',
        `features of ${sha256.slice(0, 12)} have ${maps.length} map / ${pooled.length} pooled values, ` +
          `layout needs ${this.geometry.mapN} / ${this.layout.pooledC}`,
      );
    }
    if (this.index.has(sha256)) return false;
    this.prepareWriter();
    let shard = this.shardCounts.length - 1;
    if ((this.shardCounts[shard] ?? 0) >= this.perShard) {
      this.writePending();
      this.shardCounts.push(0);
      shard++;
    }
    if (shard !== this.pendingShard) this.writePending();
    this.pendingShard = shard;

    const { recordBytes, pooledOffset } = this.geometry;
    const buf = new ArrayBuffer(recordBytes);
    const bytes = new Uint8Array(buf);
    const view = new DataView(buf);
    const half = new Uint16Array(buf, HEADER_BYTES, this.geometry.mapN);
    if (maps instanceof Uint16Array) half.set(maps);
    else encodeFloat16(maps, half);
    new Float32Array(buf, pooledOffset, this.layout.pooledC).set(pooled);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, recordBytes - HEADER_BYTES, true);
    bytes.set(Buffer.from(sha256, 'hex'), 8);
    view.setUint32(40, crc32(bytes.subarray(HEADER_BYTES)), true);

    const slot = this.shardCounts[shard] ?? 0;
    this.shardCounts[shard] = slot + 1;
    this.index.set(sha256, { shard, slot });
    this.verified.add(sha256);
    this.pending.push(bytes);
    this.pendingBytes += recordBytes;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) this.writePending();
    return true;
  }

  flush(): Promise<void> {
    this.writePending();
    if (this.writeFd !== undefined) fsyncSync(this.writeFd);
    return Promise.resolve();
  }

  featureStore(shas: readonly string[]): FeatureStore {
    this.writePending();
    const slots: Slot[] = [];
    const missing: string[] = [];
    for (const sha of shas) {
      const at = this.index.get(sha);
      if (at) slots.push(at);
      else missing.push(sha);
    }
    if (missing.length > 0) {
      throw new AppError(
        'not-found',
        `${missing.length} of ${shas.length} images have no cached features for ${this.backboneKey} ` +
          `(first: ${missing[0]})`,
      );
    }
    const shaOf = [...shas];
    const { mapN, pooledOffset } = this.geometry;
    const { pooledC } = this.layout;
    const rowAt = (rows: readonly number[], i: number): { at: Slot; sha: string } => {
      const r = rows[i] ?? -1;
      const at = slots[r];
      if (!at) throw new RangeError(`row ${r} is outside 0..${slots.length - 1}`);
      return { at, sha: shaOf[r] ?? '' };
    };
    const readMaps = (rows: readonly number[], out: Float32Array): Float32Array => {
      const half = new Uint16Array(this.scratch.buffer, HEADER_BYTES, mapN);
      for (let i = 0; i < rows.length; i++) {
        const { at, sha } = rowAt(rows, i);
        this.readRecord(at, sha, HEADER_BYTES, mapN * 2);
        decodeFloat16(half, out, i * mapN);
      }
      return out;
    };
    const readPooled = (rows: readonly number[], out: Float32Array): Float32Array => {
      const src = new Float32Array(this.scratch.buffer, pooledOffset, pooledC);
      for (let i = 0; i < rows.length; i++) {
        const { at, sha } = rowAt(rows, i);
        this.readRecord(at, sha, pooledOffset, pooledC * 4);
        out.set(src, i * pooledC);
      }
      return out;
    };
    return {
      layout: this.layout,
      count: slots.length,
      maps: (rows) => Promise.resolve(readMaps(rows, new Float32Array(rows.length * mapN))),
      pooled: (rows) => Promise.resolve(readPooled(rows, new Float32Array(rows.length * pooledC))),
      // Straight into the caller's array: the row cache fills shared memory without a second copy.
      readInto: (kind, rows, out) => {
        if (kind === 'maps') readMaps(rows, out);
        else readPooled(rows, out);
        return true;
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    if (this.locked) await unlink(join(this.dir, 'writer.lock')).catch(() => undefined);
  }

  /** Reads [start, start+length) of a record into the scratch buffer at the same offsets; the whole record
   * the first time, to check its crc. */
  private readRecord(at: Slot, sha: string, start: number, length: number): void {
    if (!this.verified.has(sha)) {
      if (!this.verifySlot(at.shard, at.slot)) {
        throw new AppError('io-error', `feature cache record of ${sha.slice(0, 12)} in ${this.dir} is corrupt`);
      }
      this.verified.add(sha);
      return; // verifySlot left the whole record in scratch
    }
    const fd = this.readFd(at.shard);
    const got = readSync(fd, this.scratch, start, length, at.slot * this.geometry.recordBytes + start);
    if (got !== length) throw new AppError('io-error', `feature cache shard ${at.shard} in ${this.dir} is truncated`);
  }

  private verifySlot(shard: number, slot: number): boolean {
    const { recordBytes } = this.geometry;
    const got = readSync(this.readFd(shard), this.scratch, 0, recordBytes, slot * recordBytes);
    if (got !== recordBytes) return false;
    const view = new DataView(this.scratch.buffer);
    return (
      view.getUint32(0, true) === MAGIC &&
      view.getUint32(40, true) === crc32(this.scratch.subarray(HEADER_BYTES, recordBytes))
    );
  }

  private readFd(shard: number): number {
    let fd = this.readFds.get(shard);
    if (fd === undefined) {
      fd = openSync(join(this.dir, shardName(shard)), 'r');
      this.readFds.set(shard, fd);
    }
    return fd;
  }

  /** Takes the writer lock and cuts a torn tail off the last shard, so appended records stay aligned. */
  private prepareWriter(): void {
    if (this.locked) return;
    const lockPath = join(this.dir, 'writer.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw e;
      }
      let pid: number;
      try {
        pid = Number(readFileSync(lockPath, 'utf8'));
      } catch {
        continue; // removed meanwhile: create it
      }
      if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
        throw new AppError('busy', `feature cache ${this.dir} is being written by process ${pid}`);
      }
      rmSync(lockPath, { force: true }); // a dead writer's (or our own earlier) lock
    }
    this.locked = true;
    if (this.shardCounts.length === 0) this.shardCounts.push(0);
    const last = this.shardCounts.length - 1;
    const fd = openSync(join(this.dir, shardName(last)), 'a+');
    const keep = (this.shardCounts[last] ?? 0) * this.geometry.recordBytes;
    if (fstatSync(fd).size !== keep) ftruncateSync(fd, keep);
    this.writeFd = fd;
    this.writeShard = last;
  }

  private writePending(): void {
    if (this.pending.length === 0) return;
    if (this.pendingShard !== this.writeShard) {
      if (this.writeFd !== undefined) {
        fsyncSync(this.writeFd);
        closeSync(this.writeFd);
      }
      this.writeFd = openSync(join(this.dir, shardName(this.pendingShard)), 'a');
      this.writeShard = this.pendingShard;
    }
    const fd = this.writeFd;
    if (fd === undefined) throw new Error('feature cache writer is not open');
    // One write per record: a kill can tear at most the record being written, never misalign the next ones.
    for (const rec of this.pending) {
      let off = 0;
      while (off < rec.length) off += writeSync(fd, rec, off, rec.length - off);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}
