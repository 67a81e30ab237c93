// Saves a tfjs LayersModel as a TF.js layers model folder (model.json + one weights .bin) that the `tfjs:`
// backbone loader reads back. Pure @tensorflow/tfjs has no file:// save handler under Node (that lives in
// tfjs-node), so this is a small IOHandler. The folder is written under a temporary name and renamed into
// place: a crash leaves either no model or a complete one, never a half-written one.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeSynced } from '../durable-write.js';

export const WEIGHTS_FILE = 'weights.bin';

export interface SavedLayersModel {
  /** The model folder (holds model.json and weights.bin). */
  dir: string;
  modelJsonPath: string;
  /** sha256 over model.json then the weights: the same hash the tfjs: loader records as weightsSha256. */
  sha256: string;
  bytes: number;
}

/** The artifacts tfjs hands to a save handler, as model.json text and one weights buffer. */
export async function serializeLayersModel(model: tf.LayersModel): Promise<{ json: Uint8Array; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      captured = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs) throw new Error('tfjs returned no model artifacts');
  const data = captured.weightData;
  const weights = new Uint8Array(
    data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data,
  );
  const modelJson: tf.io.ModelJSON = {
    modelTopology: captured.modelTopology,
    format: 'layers-model',
    generatedBy: captured.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: captured.weightSpecs }],
  };
  return { json: new TextEncoder().encode(JSON.stringify(modelJson)), weights };
}

/** Writes the model into `parentDir/<prefix>-<sha12>/` (content-named, so the same weights land in the same
 * folder and a folder's name says what it holds). Returns where it went and its hash. */
export async function saveLayersModel(
  model: tf.LayersModel,
  parentDir: string,
  prefix = 'backbone',
): Promise<SavedLayersModel> {
  const { json, weights } = await serializeLayersModel(model);
  const sha256 = createHash('sha256').update(json).update(weights).digest('hex');
  const dir = join(parentDir, `${prefix}-${sha256.slice(0, 12)}`);
  const result = { dir, modelJsonPath: join(dir, 'model.json'), sha256, bytes: json.byteLength + weights.byteLength };
  if (existsSync(result.modelJsonPath)) return result;
  await mkdir(parentDir, { recursive: true });
  const temp = join(dirname(dir), `.${prefix}-${sha256.slice(0, 12)}.${process.pid}.${Date.now()}.tmp`);
  await mkdir(temp);
  try {
    await writeSynced(join(temp, WEIGHTS_FILE), weights);
    await writeSynced(join(temp, 'model.json'), json);
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another job saved the same weights first: same content, same folder.
    if (existsSync(result.modelJsonPath)) return result;
    throw error;
  }
  return result;
}
