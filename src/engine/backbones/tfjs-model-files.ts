// Where a `tfjs:` model's files come from: a local folder (or model.json path), or a URL downloaded once into
// the cache with the sha256 of every file and used offline after. A manifest's weight paths must stay inside
// the model folder: a model is data from elsewhere and must not make us read or fetch anything else.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep, posix, win32 } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';

export interface TfjsModelFiles {
  /** Where the model came from (path or URL), as the user gave it. */
  source: string;
  modelJsonPath: string;
  modelJson: tf.io.ModelJSON;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  /** sha256 over model.json and the weight files, in manifest order. */
  sha256: string;
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Refuses weight paths that could leave the model folder: absolute paths, drive letters, URLs, backslashes,
 * '..' segments (also percent-encoded). */
export function checkWeightPath(path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new AppError('refused', `weight path "${path}" in the model manifest is not valid`);
  }
  const bad =
    decoded === '' ||
    posix.isAbsolute(decoded) ||
    win32.isAbsolute(decoded) ||
    /^[a-z][a-z0-9+.-]*:/i.test(decoded) ||
    decoded.includes('\\') ||
    decoded.split('/').some((s) => s === '..' || s === '.');
  if (bad) throw new AppError('refused', `weight path "${path}" in the model manifest leaves the model folder`);
  return decoded;
}

function parseModelJson(text: string, where: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid-argument', `${where} is not JSON`, { cause: error });
  }
  const m = json as Partial<tf.io.ModelJSON> | null;
  if (typeof m !== 'object' || m === null || typeof m.modelTopology !== 'object' || !Array.isArray(m.weightsManifest)) {
    throw new AppError('invalid-argument', `${where} is not a TF.js model.json (no modelTopology/weightsManifest)`);
  }
  for (const group of m.weightsManifest) for (const p of group.paths) checkWeightPath(p);
  return m as tf.io.ModelJSON;
}

function sha256(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

async function readLocal(modelJsonPath: string, source: string): Promise<TfjsModelFiles> {
  if (!existsSync(modelJsonPath)) throw new AppError('not-found', `no model.json at ${modelJsonPath}`);
  const jsonBytes = await readFile(modelJsonPath);
  const modelJson = parseModelJson(jsonBytes.toString('utf8'), modelJsonPath);
  const folder = dirname(modelJsonPath);
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const file = resolve(folder, checkWeightPath(p));
      const rel = relative(folder, file);
      if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
        throw new AppError('refused', `weight path "${p}" in the model manifest leaves the model folder`);
      }
      if (!existsSync(file)) throw new AppError('not-found', `weight file missing: ${file}`);
      shards.push(await readFile(file));
    }
  }
  const all = Buffer.concat(shards);
  return {
    source,
    modelJsonPath,
    modelJson,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    sha256: sha256(jsonBytes, ...shards),
  };
}

async function fetchBytes(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new AppError(
      'io-error',
      `cannot download ${url}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) throw new AppError('io-error', `cannot download ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

interface CacheRecord {
  url: string;
  downloadedAt: string;
  /** file name in the cache folder -> sha256 */
  files: Record<string, string>;
}

/** Downloads model.json and its shards into cacheDir/tfjs-models/<sha256(url)>/ (via a temp folder renamed
 * into place, so a half download is never used), once; later calls read the cache without the network. */
export async function downloadOnce(url: string, cacheDir: string): Promise<string> {
  const modelUrl = /\.json($|\?)/i.test(url) ? url : `${url.replace(/\/+$/, '')}/model.json`;
  const folder = join(cacheDir, 'tfjs-models', sha256(Buffer.from(modelUrl)).slice(0, 24));
  const recordPath = join(folder, 'download.json');
  if (existsSync(recordPath)) {
    const record = JSON.parse(await readFile(recordPath, 'utf8')) as CacheRecord;
    for (const [name, hash] of Object.entries(record.files)) {
      const file = join(folder, checkWeightPath(name));
      if (!existsSync(file) || sha256(await readFile(file)) !== hash) {
        throw new AppError(
          'io-error',
          `cached model file ${file} is missing or changed since download; delete ${folder}`,
        );
      }
    }
    return join(folder, 'model.json');
  }
  const jsonBytes = await fetchBytes(modelUrl);
  const modelJson = parseModelJson(jsonBytes.toString('utf8'), modelUrl);
  const temp = `${folder}.partial-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  try {
    const files: Record<string, string> = { 'model.json': sha256(jsonBytes) };
    await writeFile(join(temp, 'model.json'), jsonBytes);
    for (const group of modelJson.weightsManifest) {
      for (const p of group.paths) {
        const name = checkWeightPath(p);
        const bytes = await fetchBytes(new URL(p, modelUrl).href);
        await mkdir(dirname(join(temp, name)), { recursive: true });
        await writeFile(join(temp, name), bytes);
        files[name] = sha256(bytes);
      }
    }
    const record: CacheRecord = { url: modelUrl, downloadedAt: new Date().toISOString(), files };
    await writeFile(join(temp, 'download.json'), JSON.stringify(record, null, 2));
    await mkdir(dirname(folder), { recursive: true });
    await rename(temp, folder);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another process may have finished the same download first.
    if (existsSync(recordPath)) return join(folder, 'model.json');
    throw error;
  }
  return join(folder, 'model.json');
}

/** Reads a `tfjs:` location: folder, model.json path, or http(s) URL (needs cacheDir). */
export async function readTfjsModel(location: string, cacheDir?: string): Promise<TfjsModelFiles> {
  if (isUrl(location)) {
    if (cacheDir === undefined) {
      throw new AppError('invalid-argument', 'a tfjs: model URL needs a cache folder to download into');
    }
    return readLocal(await downloadOnce(location, cacheDir), location);
  }
  const path = resolve(location);
  const modelJsonPath = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
  return readLocal(modelJsonPath, location);
}
