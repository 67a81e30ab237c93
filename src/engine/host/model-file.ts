// Trained heads on disk: `<name>.json` (everything but the weights, plus the backbone key) and the weights as
// raw little-endian float32 in `<name>.<sha8>.bin`. The .bin is named by its content and written first, the JSON
// last by temp + rename: a crash at any point leaves either the old model or the new one, never a mix.

import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { deserializeHeads, serializeHeads } from '../ssod/model.js';
import type { SavedHeads } from '../types.js';
import { writeDurably } from '../durable-write.js';

const FORMAT = 'ssod-model/1';

export interface ModelFile {
  format: typeof FORMAT;
  backboneKey: string;
  weightsFile: string;
  weightsSha256: string;
  weightsLength: number;
  /** serializeHeads' JSON: everything of SavedHeads but the weights. */
  heads: unknown;
}

function stem(jsonPath: string): string {
  return basename(jsonPath).replace(/\.json$/i, '');
}

export async function saveModel(jsonPath: string, backboneKey: string, model: SavedHeads): Promise<void> {
  const { json, weights: bytes } = serializeHeads(model);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const weightsFile = `${stem(jsonPath)}.${sha.slice(0, 8)}.bin`;
  const dir = dirname(jsonPath);
  await writeDurably(join(dir, weightsFile), bytes);
  const file: ModelFile = {
    format: FORMAT,
    backboneKey,
    weightsFile,
    weightsSha256: sha,
    weightsLength: bytes.byteLength / 4,
    heads: JSON.parse(json) as unknown,
  };
  await writeDurably(jsonPath, JSON.stringify(file));
  // Older weights of the same model name are unreferenced now.
  const old = (await readdir(dir)).filter(
    (n) => n !== weightsFile && n.startsWith(`${stem(jsonPath)}.`) && /\.[0-9a-f]{8}\.bin$/.test(n),
  );
  await Promise.all(old.map((n) => rm(join(dir, n), { force: true })));
}

export async function loadModel(jsonPath: string): Promise<{ backboneKey: string; model: SavedHeads }> {
  let file: ModelFile;
  try {
    file = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelFile;
  } catch (e) {
    throw new AppError('not-found', `cannot read model ${jsonPath}: ${(e as Error).message}`);
  }
  if (file.format !== FORMAT) throw new AppError('invalid-argument', `${jsonPath} is not a ssod-model/1 file`);
  if (basename(file.weightsFile) !== file.weightsFile) {
    throw new AppError('invalid-argument', `model ${jsonPath} names weights outside its folder`);
  }
  const bytes = await readFile(join(dirname(jsonPath), file.weightsFile)).catch((e: Error) => {
    throw new AppError('not-found', `model weights ${file.weightsFile} are missing: ${e.message}`);
  });
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== file.weightsSha256 || bytes.length !== file.weightsLength * 4) {
    throw new AppError('io-error', `model weights ${file.weightsFile} do not match ${jsonPath}`);
  }
  return { backboneKey: file.backboneKey, model: deserializeHeads(JSON.stringify(file.heads), bytes) };
}
