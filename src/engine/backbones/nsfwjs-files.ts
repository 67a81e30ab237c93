// Reads the pretrained MobileNetV2 (alpha 1.0, Keras format) that the npm package nsfwjs ships inside its files.
// nsfwjs bundles model.json and the weight shard as UMD scripts (the JSON object, and the shard as a base64
// string) so bundlers can inline them; we load those scripts from node_modules: no network, ever.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../../shared/errors.js';

const require = createRequire(import.meta.url);

export interface NsfwjsModelFiles {
  packageVersion: string;
  /** Absolute folder of the bundled model. */
  folder: string;
  modelJson: tf.io.ModelJSON;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  /** sha256 of the decoded (still quantized) weight bytes: the backbone's identity. */
  weightsSha256: string;
}

/** nsfwjs's "exports" hides package.json and the model files, so walk up from its main entry. */
export function nsfwjsRoot(): string {
  let dir: string;
  try {
    dir = dirname(require.resolve('nsfwjs'));
  } catch (error) {
    throw new AppError('not-found', 'the npm package nsfwjs is not installed: it ships the MobileNetV2 weights', {
      cause: error,
    });
  }
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nsfwjs') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new AppError('not-found', 'cannot find the nsfwjs package folder');
    dir = parent;
  }
}

function loadUmd(file: string): unknown {
  if (!existsSync(file)) throw new AppError('not-found', `nsfwjs model file missing: ${file}`);
  const value: unknown = require(file);
  // Keep the 3.5 MB base64 string out of require's cache once decoded.
  Reflect.deleteProperty(require.cache, require.resolve(file));
  return value;
}

let cached: NsfwjsModelFiles | undefined;

export function readNsfwjsMobileNetV2(): NsfwjsModelFiles {
  if (cached) return cached;
  const root = nsfwjsRoot();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const folder = join(root, 'dist', 'models', 'mobilenet_v2');
  const modelJson = loadUmd(join(folder, 'model.min.js')) as tf.io.ModelJSON;
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length !== 1 || manifest[0]?.paths.length !== 1) {
    throw new AppError('io-error', `unexpected weights manifest in nsfwjs ${version} mobilenet_v2`);
  }
  const shardName = manifest[0].paths[0] ?? '';
  const base64 = loadUmd(join(folder, `${shardName.replace(/[^\w-]/g, '')}.min.js`));
  if (typeof base64 !== 'string') throw new AppError('io-error', 'nsfwjs mobilenet_v2 weight shard is not base64');
  const bytes = Buffer.from(base64, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  cached = {
    packageVersion: version,
    folder,
    modelJson,
    weightSpecs: manifest[0].weights,
    weightData,
    weightsSha256: createHash('sha256').update(bytes).digest('hex'),
  };
  return cached;
}
