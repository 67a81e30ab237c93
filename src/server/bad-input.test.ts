// One schema, three transports: for every call of the contract, one bad input sent through the in-process
// transport (the CLI's), the HTTP bridge (browser mode) and an IPC-like bridge (Electron: structured clone into
// the same dispatcher) gets the same error — code, message and argument path — and no service runs. The table is
// typed against `Api`, so a method added to the contract does not compile here until it has its bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../rpc/client.js';
import { createFakeApi } from '../rpc/testing/fake-api.js';
import type { Transport } from '../rpc/types.js';
import { SERVICE_NAMES, type Api, type ServiceName } from '../shared/api.js';
import { AppError } from '../shared/errors.js';
import { TRANSPORT_NAMES, startFakeTransports, type FakeTransports } from './testing/fake-transports.js';

interface BadCall {
  args: unknown[];
  /** The whole message every transport must show. */
  message: string;
}

type BadInputs = { [S in ServiceName]: { [M in keyof Api[S]]: BadCall } };

const BAD: BadInputs = {
  projects: {
    current: { args: [1], message: 'projects.current: at most 0 arguments' },
    create: { args: [''], message: 'projects.create[0]: must not be empty' },
    open: { args: [42], message: 'projects.open[0]: expected a string, got number' },
    close: { args: ['now'], message: 'projects.close: at most 0 arguments' },
    recent: { args: [true], message: 'projects.recent: at most 0 arguments' },
    status: { args: [{}], message: 'projects.status: at most 0 arguments' },
    createDemo: { args: ['a\0b'], message: 'projects.createDemo[0]: contains a NUL character' },
    defaultFolder: { args: [null], message: 'projects.defaultFolder: at most 0 arguments' },
    openFolder: { args: [7], message: 'projects.openFolder[0]: expected a string, got number' },
  },
  sources: {
    list: { args: [1], message: 'sources.list: at most 0 arguments' },
    add: { args: ['/data', 'bogus'], message: 'sources.add[1]: must be train or inbox' },
  },
  images: {
    list: { args: [{ limit: -1 }], message: 'images.list[0].limit: must be in [0, 100000], got -1' },
    get: { args: ['7'], message: 'images.get[0]: expected a finite number, got string' },
    resolve: { args: [''], message: 'images.resolve[0]: must not be empty' },
    histogram: { args: ['ssod', 0], message: 'images.histogram[1]: must be in [1, 10000], got 0' },
    classes: { args: ['all'], message: 'images.classes: at most 0 arguments' },
  },
  review: {
    decide: {
      args: [{ imageIds: [1], action: 'relabel', reviewer: 'ana' }],
      message: 'review.decide[0].newClass: relabel needs the new class',
    },
    undo: { args: [[1], '   '], message: 'review.undo[1]: must be 1–100 characters' },
    history: { args: [0], message: 'review.history[0]: must be in [1, ∞], got 0' },
  },
  runs: {
    list: { args: [1], message: 'runs.list: at most 0 arguments' },
    get: { args: [1.5], message: 'runs.get[0]: must be an integer, got 1.5' },
    setCurrent: { args: [0], message: 'runs.setCurrent[0]: must be in [1, ∞], got 0' },
    diff: { args: [1, 2, 0], message: 'runs.diff[2]: must be in [1, 1000000], got 0' },
    evalFromReviews: { args: [0.2], message: 'runs.evalFromReviews[0]: must be in [0.5, 1], got 0.2' },
  },
  jobs: {
    scan: { args: [-3], message: 'jobs.scan[0]: must be in [1, ∞], got -3' },
    train: { args: [{ folds: 1 }], message: 'jobs.train[0].folds: must be in [2, 20], got 1' },
    score: { args: [1], message: 'jobs.score: at most 0 arguments' },
    evalFolders: { args: ['/ood', 5], message: 'jobs.evalFolders[1]: expected a string, got number' },
    export: { args: [{ out: '' }], message: 'jobs.export[0].out: must not be empty' },
    cancel: { args: [7], message: 'jobs.cancel[0]: expected a string, got number' },
    active: { args: [1], message: 'jobs.active: at most 0 arguments' },
    wait: { args: [], message: 'jobs.wait[0]: expected a string, got undefined' },
  },
  exports: {
    verify: { args: [['/out']], message: 'exports.verify[0]: expected a string, got array' },
  },
  settings: {
    get: { args: [1], message: 'settings.get: at most 0 arguments' },
    set: { args: [{ reviewer: 'x'.repeat(101) }], message: 'settings.set[0].reviewer: must be 1–100 characters' },
  },
  curation: {
    duplicates: { args: [{ minCosine: 2 }], message: 'curation.duplicates[0].minCosine: must be in [0.5, 1], got 2' },
    resolveDuplicates: { args: [[0]], message: 'curation.resolveDuplicates[0][0]: must be in [1, ∞], got 0' },
    labelIssues: {
      args: [{ ranking: 'x' }],
      message: 'curation.labelIssues[0].ranking: must be self-confidence or normalized-margin',
    },
    acceptSuggestions: { args: ['1'], message: 'curation.acceptSuggestions[0]: expected an array, got string' },
    map: { args: [{ method: 'tsne' }], message: 'curation.map[0].method: must be umap or pca' },
    similar: { args: [{ imageId: -1 }], message: 'curation.similar[0].imageId: must be in [1, ∞], got -1' },
    quality: {
      args: ['sharp'],
      message: 'curation.quality[0]: must be dark, bright, low-contrast, blurry, tiny, aspect or grey',
    },
    setQualityThresholds: {
      args: [{ aspectAbove: 0 }],
      message: 'curation.setQualityThresholds[0].aspectAbove: must be in [1, 1000], got 0',
    },
    budget: { args: [0], message: 'curation.budget[0]: must be in [1, 100000000], got 0' },
    drawAudit: { args: [10], message: 'curation.drawAudit[1]: expected a finite number, got undefined' },
    select: {
      args: [{ lasso: { method: 'pca', polygon: [[0, 0], [1]] } }],
      message: 'curation.select[0].lasso.polygon[1]: must be [x, y]',
    },
  },
  labeling: {
    classes: { args: [1], message: 'labeling.classes: at most 0 arguments' },
    createClass: { args: ['  '], message: 'labeling.createClass[0]: must be 1–1000 characters' },
    suggestions: {
      args: [{ order: 'random' }],
      message: 'labeling.suggestions[0].order: must be informative, confidence, uncertain or path',
    },
    label: { args: [{ imageIds: [1], key: 10 }], message: 'labeling.label[0].key: must be in [1, 9], got 10' },
    accept: { args: [{ imageIds: [], extra: 1 }], message: "labeling.accept[0]: unknown field 'extra'" },
    previewBulk: {
      args: [{ minConfidence: 1.5 }],
      message: 'labeling.previewBulk[0].minConfidence: must be in [0, 1], got 1.5',
    },
    bulkAccept: {
      args: [{ imageIds: [2] }],
      message: 'labeling.bulkAccept[0].minConfidence: bulk accept needs a confidence cut in [0, 1]',
    },
    undoBatch: { args: ['last'], message: 'labeling.undoBatch[0]: expected a finite number, got string' },
    batches: { args: [0], message: 'labeling.batches[0]: must be in [1, 10000], got 0' },
    calibration: { args: [1.5], message: 'labeling.calibration[0]: must be an integer, got 1.5' },
    accuracy: { args: ['all'], message: 'labeling.accuracy: at most 0 arguments' },
  },
};

/** More refusals that used to live in three places with three rules; now the schema's, the same everywhere. */
const MORE: { service: ServiceName; method: string; args: unknown[]; message: string }[] = [
  {
    service: 'labeling',
    method: 'label',
    args: [{ imageIds: [1], class: 'cat', key: 1 }],
    message: 'labeling.label[0].class: give either the class name or its number key (1–9)',
  },
  {
    service: 'labeling',
    method: 'accept',
    args: [{}],
    message: 'labeling.accept[0].imageIds: give the images to label',
  },
  {
    service: 'labeling',
    method: 'label',
    args: [{ imageIds: [1] }],
    message: 'labeling.label[0].class: give either the class name or its number key (1–9)',
  },
  {
    service: 'settings',
    method: 'set',
    args: [{ reviewer: '  ' }],
    message: 'settings.set[0].reviewer: must be 1–100 characters',
  },
  {
    service: 'review',
    method: 'decide',
    args: [{ imageIds: [1], action: 'keep', reviewer: '' }],
    message: 'review.decide[0].reviewer: must be 1–100 characters',
  },
  {
    service: 'review',
    method: 'decide',
    args: [{ imageIds: [1], action: 'keep', reviewer: 'r'.repeat(150) }],
    message: 'review.decide[0].reviewer: must be 1–100 characters',
  },
  {
    service: 'settings',
    method: 'set',
    args: [{ theme: 'neon' }],
    message: 'settings.set[0].theme: must be light, dark or system',
  },
  {
    service: 'jobs',
    method: 'export',
    args: [{ out: '/x', include: 'query' }],
    message: "jobs.export[0].query: include 'query' needs a query",
  },
  {
    service: 'jobs',
    method: 'train',
    args: [{ mode: 'fast' }],
    message: 'jobs.train[0].mode: must be heads, end-to-end or adapt',
  },
  // A required key left out is refused at its own path before any service runs; an IPC caller's explicit
  // undefined counts as left out (JSON drops it on the HTTP and in-process sides alike).
  {
    service: 'review',
    method: 'decide',
    args: [{ action: 'reject' }],
    message: 'review.decide[0].imageIds: is required',
  },
  {
    service: 'review',
    method: 'decide',
    args: [{ imageIds: [1] }],
    message: 'review.decide[0].action: is required',
  },
  {
    service: 'review',
    method: 'decide',
    args: [{ imageIds: undefined, action: 'keep' }],
    message: 'review.decide[0].imageIds: is required',
  },
  {
    service: 'jobs',
    method: 'export',
    args: [{ format: 'csv' }],
    message: 'jobs.export[0].out: is required',
  },
  {
    service: 'curation',
    method: 'select',
    args: [{ lasso: { method: 'umap' } }],
    message: 'curation.select[0].lasso.polygon: is required',
  },
  {
    service: 'labeling',
    method: 'label',
    args: [{ class: 'cat' }],
    message: 'labeling.label[0].imageIds: give the images to label',
  },
  {
    service: 'labeling',
    method: 'previewBulk',
    args: [{}],
    message: 'labeling.previewBulk[0].minConfidence: bulk accept needs a confidence cut in [0, 1]',
  },
];

const CASES = [
  ...SERVICE_NAMES.flatMap((service) =>
    Object.entries(BAD[service] as Record<string, BadCall>).map(([method, bad]) => ({ service, method, ...bad })),
  ),
  ...MORE,
];

let wires: FakeTransports;

beforeAll(async () => {
  wires = await startFakeTransports(() => createFakeApi());
});

afterAll(async () => {
  await wires.close();
});

async function refusal(transport: Transport, service: string, method: string, args: unknown[]): Promise<AppError> {
  const client = createClient<Api>(transport) as unknown as Record<
    string,
    Record<string, (...a: unknown[]) => unknown>
  >;
  const error = await Promise.resolve(client[service]![method]!(...args)).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`${service}.${method} was not refused: ${String(error)}`);
  return error;
}

describe('bad input', () => {
  it('covers every call of the contract', () => {
    for (const service of SERVICE_NAMES) expect(Object.keys(BAD[service]).length).toBeGreaterThan(0);
    expect(CASES.length).toBeGreaterThan(35);
  });

  describe.each(TRANSPORT_NAMES)('through the %s transport', (name) => {
    it.each(CASES.map((c) => [`${c.service}.${c.method}`, c] as const))(
      '%s gets the same clear error and no service runs',
      async (_label, c) => {
        const fake = wires.fakes[name];
        fake.calls.length = 0;
        const error = await refusal(wires.transports[name], c.service, c.method, c.args);
        expect({ code: error.code, message: error.message }).toEqual({ code: 'invalid-argument', message: c.message });
        const path = c.message.slice(0, c.message.indexOf(': '));
        expect(error.path).toBe(path);
        expect(fake.calls).toEqual([]);
      },
    );
  });
});
