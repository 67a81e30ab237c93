import { describe, expect, it } from 'vitest';
import { bytesToBase64, fitWithin } from './scale-image.js';

describe('scaling a dropped image', () => {
  it('fits the long side within the limit, keeps the aspect ratio, never enlarges', () => {
    expect(fitWithin(4000, 3000, 512)).toEqual({ width: 512, height: 384 });
    expect(fitWithin(300, 1200, 512)).toEqual({ width: 128, height: 512 });
    expect(fitWithin(200, 100, 512)).toEqual({ width: 200, height: 100 });
    expect(fitWithin(10_000, 1, 512)).toEqual({ width: 512, height: 1 });
  });

  it('encodes bytes as base64, in chunks for large files', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256);
    const decoded = atob(bytesToBase64(bytes));
    expect(decoded.length).toBe(bytes.length);
    expect(Uint8Array.from(decoded, (c) => c.charCodeAt(0))).toEqual(bytes);
    expect(bytesToBase64(Uint8Array.of(77, 97, 110))).toBe('TWFu');
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
  });
});
