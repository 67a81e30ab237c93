// A run's models for the next retrain's warm start, beside the run's model: `<name>.warm.bin` = a 4-byte header
// length, a JSON header (format, backbone key, fingerprint, where each array lies), then the float32 data. Written
// temp-then-rename. Reading never fails a run: anything unreadable or from another backbone means a cold start.
import { readFile } from 'node:fs/promises';
import type { WarmModel, WarmStart } from '../types.js';
import { writeDurably } from '../durable-write.js';

const FORMAT = 'ssod-warm/1';

interface ArrayRef {
  name: string;
  offset: number;
  length: number;
}

interface WarmHeader {
  format: typeof FORMAT;
  backboneKey: string;
  fingerprint: string;
  models: { index: number; arrays: ArrayRef[] }[];
}

/** The warm-start file that goes with a model JSON path. */
export function warmPath(modelJsonPath: string): string {
  return modelJsonPath.replace(/\.json$/i, '') + '.warm.bin';
}

/** Every array of a model, stats included, under one flat name each. */
function flatten(m: WarmModel): [string, Float32Array][] {
  return [
    ...Object.entries(m.arrays).map(([k, a]) => [`w:${k}`, a] as [string, Float32Array]),
    ['s:map.mean', m.mapStats.mean],
    ['s:map.std', m.mapStats.std],
    ['s:pooled.mean', m.pooledStats.mean],
    ['s:pooled.std', m.pooledStats.std],
  ];
}

function unflatten(named: Map<string, Float32Array>): WarmModel {
  const need = (k: string): Float32Array => {
    const a = named.get(k);
    if (!a) throw new Error(`warm start file lacks ${k}`);
    return a;
  };
  const arrays: Record<string, Float32Array> = {};
  for (const [k, a] of named) if (k.startsWith('w:')) arrays[k.slice(2)] = a;
  return {
    arrays,
    mapStats: { mean: need('s:map.mean'), std: need('s:map.std') },
    pooledStats: { mean: need('s:pooled.mean'), std: need('s:pooled.std') },
  };
}

export async function saveWarm(path: string, backboneKey: string, warm: WarmStart): Promise<void> {
  const header: WarmHeader = { format: FORMAT, backboneKey, fingerprint: warm.fingerprint, models: [] };
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [index, model] of Object.entries(warm.models)) {
    const arrays: ArrayRef[] = [];
    for (const [name, a] of flatten(model)) {
      arrays.push({ name, offset, length: a.length });
      parts.push(a);
      offset += a.length;
    }
    header.models.push({ index: Number(index), arrays });
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  const data = Buffer.alloc(offset * 4);
  let at = 0;
  for (const a of parts) {
    data.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  await writeDurably(path, Buffer.concat([head, json, data]));
}

/** The warm start in `path` if it is readable and made on `backboneKey`; otherwise why not. */
export async function loadWarm(path: string, backboneKey: string): Promise<WarmStart | { cold: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return { cold: 'cold: the previous run left no warm-start file' };
  }
  try {
    const len = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + len).toString('utf8')) as WarmHeader;
    if (header.format !== FORMAT) return { cold: `cold: warm-start file format ${String(header.format)}` };
    if (header.backboneKey !== backboneKey) return { cold: 'cold: the previous run used other features' };
    // Copied out so each array is aligned and owns its memory.
    const data = new Float32Array(Uint8Array.from(bytes.subarray(4 + len)).buffer);
    const models: Record<number, WarmModel> = {};
    for (const m of header.models) {
      const named = new Map<string, Float32Array>();
      for (const r of m.arrays) {
        if (!(r.offset >= 0 && r.length >= 0 && r.offset + r.length <= data.length))
          throw new Error('array outside the file');
        named.set(r.name, data.slice(r.offset, r.offset + r.length));
      }
      models[m.index] = unflatten(named);
    }
    return { fingerprint: header.fingerprint, models };
  } catch (e) {
    return { cold: `cold: unreadable warm-start file (${(e as Error).message})` };
  }
}
