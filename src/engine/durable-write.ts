// Writes that survive a crash: data reaches the disk (fsync) before anyone may rely on it.
import { open, rename } from 'node:fs/promises';

/** Writes `data` to `path` and fsyncs it. */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** writeSynced to a temp file beside `path`, then rename: readers see the old file or the whole new one. */
export async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeSynced(tmp, data);
  await rename(tmp, path);
}
