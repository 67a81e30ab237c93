import { describe, expect, it } from 'vitest';
import { isAppError } from './errors.js';
import {
  API_ARGS,
  id,
  imageQuery,
  object,
  optional,
  required,
  settingsPatch,
  string,
  validateArgs,
} from './validate.js';
import { SERVICE_NAMES } from './api.js';

function rejects(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(isAppError(error, 'invalid-argument') || isAppError(error, 'not-found')).toBe(true);
    if (pattern) expect((error as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a rejection');
}

describe('validateArgs', () => {
  it('accepts well-formed arguments and drops trailing undefined', () => {
    expect(validateArgs('images', 'get', [5])).toEqual([5]);
    expect(validateArgs('projects', 'create', ['/tmp/p', undefined])).toEqual(['/tmp/p']);
    expect(validateArgs('review', 'decide', [{ imageIds: [1, 2], action: 'reject', note: 'cat' }])).toEqual([
      { imageIds: [1, 2], action: 'reject', note: 'cat' },
    ]);
  });

  it('refuses wrong types, ranges, enums and extra arguments', () => {
    rejects(() => validateArgs('images', 'get', ['5']), /images\.get\[0\]: expected a finite number, got string/);
    rejects(() => validateArgs('images', 'get', [0]), /images\.get\[0\]: must be in \[1, ∞\], got 0/);
    rejects(() => validateArgs('images', 'get', [1.5]), /integer/);
    rejects(() => validateArgs('images', 'get', [Number.NaN]));
    rejects(() => validateArgs('images', 'get', [1, 2]), /at most 1 arguments/);
    rejects(() => validateArgs('images', 'get', []));
    rejects(() => validateArgs('sources', 'add', ['/x', 'everything']), /must be train or inbox/);
    rejects(() => validateArgs('review', 'decide', [{ imageIds: [1], action: 'burn' }]));
    rejects(() => validateArgs('review', 'decide', [{ imageIds: 'all', action: 'keep' }]));
    rejects(() => validateArgs('projects', 'open', ['a\0b']), /NUL/);
    rejects(() => validateArgs('projects', 'open', ['x'.repeat(5000)]), /longer/);
  });

  it('refuses unknown fields and prototype tricks inside objects', () => {
    rejects(() => imageQuery({ limit: 10, evil: 1 }, 'q'), /unknown field 'evil'/);
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "limit": 3}') as unknown;
    rejects(() => imageQuery(hostile, 'q'), /__proto__/);
    rejects(() => imageQuery(new Date(), 'q'), /plain object/);
    rejects(() => imageQuery([], 'q'), /object/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns a fresh object with only known keys', () => {
    const input = { limit: 10, offset: undefined, sortBy: 'ssod' };
    const out = imageQuery(input, 'q');
    expect(out).toEqual({ limit: 10, sortBy: 'ssod' });
    expect(out).not.toBe(input);
    expect(settingsPatch({ reviewer: null }, 's')).toEqual({ reviewer: null });
  });

  it('refuses methods outside the contract, including inherited names', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'nope']) {
      rejects(() => validateArgs('images', name, []), /unknown method/);
    }
  });

  it('has a validator tuple for every service', () => {
    for (const s of SERVICE_NAMES) expect(Object.keys(API_ARGS[s]).length).toBeGreaterThan(0);
  });
});

describe('object keys', () => {
  const point = object<{ x: number; label?: string }>({ x: id, label: optional(string()) });

  it('refuses a required key that is left out or undefined, at its own path', () => {
    rejects(() => point({}, 'p'), /^p\.x: is required$/);
    rejects(() => point({ x: undefined, label: 'a' }, 'p'), /^p\.x: is required$/);
    const thrown = (() => {
      try {
        point({ label: 'a' }, 'p');
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(thrown).toMatchObject({ code: 'invalid-argument', path: 'p.x' });
  });

  it('leaves an optional key that is left out absent', () => {
    expect(point({ x: 3 }, 'p')).toEqual({ x: 3 });
    expect(Object.keys(point({ x: 3, label: undefined }, 'p'))).toEqual(['x']);
  });

  it('says what to give when a required key has its own words', () => {
    const cut = object<{ at: number }>({ at: required(id, 'give the cut') });
    rejects(() => cut({}, 'c'), /^c\.at: give the cut$/);
    rejects(() => cut({ at: 0 }, 'c'), /^c\.at: must be in \[1, ∞\], got 0$/);
  });

  it('holds for the contract: a decision without images never reaches the service', () => {
    rejects(() => validateArgs('review', 'decide', [{ action: 'keep' }]), /review\.decide\[0\]\.imageIds: is required/);
    rejects(() => validateArgs('jobs', 'export', [{}]), /jobs\.export\[0\]\.out: is required/);
  });
});

describe('null arguments from JSON', () => {
  it('count as absent where the argument is optional, and stay refused where it is required', () => {
    expect(validateArgs('review', 'history', [null, 5])).toEqual([undefined, 5]);
    expect(() => validateArgs('images', 'get', [null])).toThrow();
  });
});
