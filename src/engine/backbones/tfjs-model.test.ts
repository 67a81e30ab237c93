import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors.js';
import { selectBackend } from '../backends/select-backend.js';
import { loadBackbone } from './load-backbone.js';
import { checkWeightPath } from './tfjs-model-files.js';
import { parseTfjsSpec } from './tfjs-model.js';

let dir: string;
let modelDir: string;

/** Saves a tiny layers model (16x16x3 -> conv c1 -> conv c2 stride 2 -> GAP -> dense) as model.json + bin. */
async function saveTinyModel(folder: string): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'c2' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 2, name: 'logits' }),
    ],
  });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await mkdir(folder, { recursive: true });
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      await writeFile(join(folder, 'weights.bin'), weights);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(folder, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
}

/** A hand-written TF.js graph model: x[-1,8,8,3] -> 1x1 Conv2D (2 filters) "conv" -> Relu "relu". */
async function saveTinyGraphModel(folder: string): Promise<void> {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const dims = (...sizes: number[]): { dim: { size: string }[] } => ({ dim: sizes.map((n) => ({ size: String(n) })) });
  const float = { type: 'DT_FLOAT' };
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims(-1, 8, 8, 3) } } },
        {
          name: 'w',
          op: 'Const',
          attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(1, 1, 3, 2) } } },
        },
        {
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'w'],
          attr: {
            T: float,
            strides: { list: { i: ['1', '1', '1', '1'] } },
            padding: { s: b64('SAME') },
            data_format: { s: b64('NHWC') },
            dilations: { list: { i: ['1', '1', '1', '1'] } },
          },
        },
        { name: 'relu', op: 'Relu', input: ['conv'], attr: { T: float } },
      ],
      versions: {},
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape: [1, 1, 3, 2], dtype: 'float32' }] }],
  };
  await mkdir(folder, { recursive: true });
  // Filter 0 sums the channels, filter 1 negates channel 0.
  await writeFile(join(folder, 'w.bin'), new Uint8Array(new Float32Array([1, -1, 1, 0, 1, 0]).buffer));
  await writeFile(join(folder, 'model.json'), JSON.stringify(json));
}

async function withManifestPaths(folder: string, paths: string[]): Promise<void> {
  const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  (json.weightsManifest[0] as { paths: string[] }).paths = paths;
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'model.json'), JSON.stringify(json));
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
}

const image = (size: number): Float32Array => Float32Array.from({ length: size * size * 3 }, (_, i) => (i % 17) / 17);

beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'tfjs-model-'));
  modelDir = join(dir, 'model');
  await saveTinyModel(modelDir);
  await writeFile(join(dir, 'secret.bin'), Buffer.alloc(1024));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('tfjs: backbones', () => {
  it('parses specs', () => {
    expect(parseTfjsSpec('tfjs:/m#c2')).toEqual({ location: '/m', node: 'c2' });
    expect(parseTfjsSpec('tfjs:http://h/m/model.json')).toEqual({ location: 'http://h/m/model.json' });
  });

  it('loads a layers model from a local folder, reading a named layer', async () => {
    const backbone = await loadBackbone(`tfjs:${modelDir}#c2`);
    expect(backbone.layout).toEqual({ mapH: 8, mapW: 8, mapC: 6, pooledC: 6 });
    expect(backbone.preprocess.size).toBe(16);
    expect(backbone.identity).toMatchObject({ backbone: 'tfjs', format: 'layers-model', node: 'c2' });
    const out = await backbone.extract(image(16), 1);
    expect(out.maps.length).toBe(8 * 8 * 6);
    expect(out.pooled.length).toBe(6);
    backbone.dispose();
    // The default output (the dense layer) becomes a 1x1 map.
    const whole = await loadBackbone(`tfjs:${join(modelDir, 'model.json')}`);
    expect(whole.layout).toEqual({ mapH: 1, mapW: 1, mapC: 2, pooledC: 2 });
    whole.dispose();
  });

  it('loads a graph model, reading a named node', async () => {
    const folder = join(dir, 'graph');
    await saveTinyGraphModel(folder);
    const backbone = await loadBackbone(`tfjs:${folder}#conv`);
    expect(backbone.identity['format']).toBe('graph-model');
    expect(backbone.layout).toEqual({ mapH: 8, mapW: 8, mapC: 2, pooledC: 2 });
    const out = await backbone.extract(new Float32Array(8 * 8 * 3).fill(0.5), 1);
    expect([...out.pooled]).toEqual([1.5, -0.5]);
    backbone.dispose();
    const missing = await errorOf(loadBackbone(`tfjs:${folder}#nope`));
    expect(isAppError(missing, 'not-found')).toBe(true);
    const mismatch = await errorOf(loadBackbone(`tfjs:${folder}`, { inputSize: 16 }));
    expect(isAppError(mismatch, 'invalid-argument')).toBe(true);
  });

  it('refuses a missing node and an input-shape mismatch', async () => {
    const missing = await errorOf(loadBackbone(`tfjs:${modelDir}#nope`));
    expect(isAppError(missing, 'not-found')).toBe(true);
    expect((missing as Error).message).toMatch(/layer "nope" not in .*layers: c1, c2/);
    const mismatch = await errorOf(loadBackbone(`tfjs:${modelDir}#c2`, { inputSize: 32 }));
    expect(isAppError(mismatch, 'invalid-argument')).toBe(true);
    expect((mismatch as Error).message).toMatch(/input-shape mismatch.*16x16/);
  });

  it('refuses weight paths that leave the model folder', async () => {
    for (const [i, bad] of ['../secret.bin', '/etc/passwd', 'a/../../secret.bin', '%2e%2e/secret.bin'].entries()) {
      const folder = join(dir, `evil${i}`);
      await withManifestPaths(folder, [bad]);
      const error = await errorOf(loadBackbone(`tfjs:${folder}`));
      expect(isAppError(error, 'refused')).toBe(true);
    }
    expect(() => checkWeightPath('C:\\x.bin')).toThrow(/leaves the model folder/);
    expect(() => checkWeightPath('http://elsewhere/x.bin')).toThrow(/leaves the model folder/);
    expect(checkWeightPath('group1-shard1of2.bin')).toBe('group1-shard1of2.bin');
    expect(checkWeightPath('sub/w.bin')).toBe('sub/w.bin');
  });

  describe('from a URL', () => {
    let server: Server;
    let base: string;
    const requests: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        const url = req.url ?? '';
        requests.push(url);
        const file = url.startsWith('/model/') ? join(modelDir, url.slice('/model/'.length)) : '';
        const evil = url === '/evil/model.json';
        const evilJson = JSON.stringify({
          modelTopology: {},
          weightsManifest: [{ paths: ['../secret.bin'], weights: [] }],
        });
        const send = evil ? Promise.resolve(evilJson) : file ? readFile(file) : Promise.reject(new Error('404'));
        send.then(
          (body) => res.end(body),
          () => {
            res.statusCode = 404;
            res.end();
          },
        );
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((done) => (server.listening ? server.close(() => done()) : done())));

    it('refuses traversal in a downloaded manifest before fetching anything else', async () => {
      const error = await errorOf(loadBackbone(`tfjs:${base}/evil/model.json`, { cacheDir: join(dir, 'cache') }));
      expect(isAppError(error, 'refused')).toBe(true);
      expect(requests).toEqual(['/evil/model.json']);
      requests.length = 0;
    });

    // Stops the server: keep it last.
    it('downloads once into the cache, then works with the server stopped', async () => {
      const cacheDir = join(dir, 'cache');
      const spec = `tfjs:${base}/model/model.json#c2`;
      const first = await loadBackbone(spec, { cacheDir });
      expect(requests).toEqual(['/model/model.json', '/model/weights.bin']);
      const a = await first.extract(image(16), 1);
      first.dispose();
      const second = await loadBackbone(spec, { cacheDir });
      expect(requests).toHaveLength(2); // cached: no new request
      await new Promise<void>((done) => server.close(() => done()));
      const third = await loadBackbone(spec, { cacheDir });
      expect(third.key).toBe(second.key);
      expect(third.identity['source']).toBe(`${base}/model/model.json`);
      expect(third.identity['weightsSha256']).toMatch(/^[0-9a-f]{64}$/);
      const b = await third.extract(image(16), 1);
      expect([...b.maps]).toEqual([...a.maps]);
      second.dispose();
      third.dispose();
      // A URL without a cache folder is refused.
      expect(isAppError(await errorOf(loadBackbone(spec)), 'invalid-argument')).toBe(true);
    });
  });
});
