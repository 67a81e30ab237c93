// Content sniffing on the first bytes, before any decoder sees the file. Only the formats we accept reach sharp;
// formats with untrusted or heavyweight loaders (SVG via librsvg, PDF, PostScript, ...) are refused by their magic
// bytes here, so their parsers never run on a user's file. sharp's metadata is still the final word on the format.

/** Formats we decode. 'heif' is only accepted when its compression is AV1 (AVIF); see probe.ts. */
export type AcceptedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

export type SniffResult =
  { kind: 'accepted'; format: AcceptedFormat } | { kind: 'refused'; format: string } | { kind: 'unknown' };

/** How many leading bytes sniff() wants. */
export const SNIFF_BYTES = 512;

const startsWith = (b: Buffer, sig: number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Buffer, s: string, at = 0): boolean =>
  b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s;

const AVIF_BRANDS = new Set(['avif', 'avis']);
const OTHER_HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

export function sniff(head: Buffer): SniffResult {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: 'accepted', format: 'jpeg' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'accepted', format: 'png' };
  if (ascii(head, 'RIFF') && ascii(head, 'WEBP', 8)) return { kind: 'accepted', format: 'webp' };
  if (ascii(head, 'GIF87a') || ascii(head, 'GIF89a')) return { kind: 'accepted', format: 'gif' };
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]))
    return { kind: 'accepted', format: 'tiff' };
  if (ascii(head, 'ftyp', 4)) {
    const brands = ftypBrands(head);
    if (brands.some((b) => AVIF_BRANDS.has(b))) return { kind: 'accepted', format: 'heif' };
    if (brands.some((b) => OTHER_HEIF_BRANDS.has(b))) return { kind: 'refused', format: 'heic' };
    return { kind: 'refused', format: `iso-bmff (${brands[0] ?? '?'})` };
  }
  // BigTIFF, BMP, PDF, PostScript, Photoshop, JPEG 2000, JPEG XL, OpenEXR, ICO, Netpbm, libvips' own format.
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b]))
    return { kind: 'refused', format: 'bigtiff' };
  if (ascii(head, 'BM') && head.length >= 14) return { kind: 'refused', format: 'bmp' };
  if (ascii(head, '%PDF')) return { kind: 'refused', format: 'pdf' };
  if (ascii(head, '%!PS')) return { kind: 'refused', format: 'postscript' };
  if (ascii(head, '8BPS')) return { kind: 'refused', format: 'psd' };
  if (startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(head, [0xff, 0x4f, 0xff, 0x51]))
    return { kind: 'refused', format: 'jpeg2000' };
  if (startsWith(head, [0xff, 0x0a]) || startsWith(head, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return { kind: 'refused', format: 'jpegxl' };
  if (startsWith(head, [0x76, 0x2f, 0x31, 0x01])) return { kind: 'refused', format: 'openexr' };
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00])) return { kind: 'refused', format: 'ico' };
  if (/^P[1-7]\s/.test(head.toString('latin1', 0, 3))) return { kind: 'refused', format: 'netpbm' };
  if (startsWith(head, [0x08, 0xf2, 0xa6, 0xb6]) || startsWith(head, [0xb6, 0xa6, 0xf2, 0x08]))
    return { kind: 'refused', format: 'vips' };
  if (looksLikeSvg(head)) return { kind: 'refused', format: 'svg' };
  return { kind: 'unknown' };
}

function ftypBrands(head: Buffer): string[] {
  const size = head.length >= 4 ? head.readUInt32BE(0) : 0;
  const end = Math.min(head.length, size >= 16 ? size : 16);
  const brands = [head.toString('latin1', 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(head.toString('latin1', at, at + 4));
  return brands;
}

function looksLikeSvg(head: Buffer): boolean {
  // gzip (svgz) is only refused as SVG when sharp would have tried: treat plain gzip as not-an-image instead.
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  return text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg')) || /^<!doctype svg/.test(text);
}

/**
 * Whether the buffer ends like a complete file of its format. Used only after a decode failed, to tell
 * "cut short" (truncated) from "complete but corrupt" (not-an-image).
 */
export function hasEndMarker(format: AcceptedFormat, data: Buffer): boolean {
  // Some writers pad files with zeros or append data after the end marker; look at the tail only.
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;
  const tail = data.subarray(Math.max(0, end - 4096), end);
  switch (format) {
    case 'jpeg':
      return tail.lastIndexOf(Buffer.from([0xff, 0xd9])) >= 0;
    case 'png':
      return tail.lastIndexOf(Buffer.from('IEND', 'latin1')) >= 0;
    case 'gif':
      return tail.length > 0 && tail[tail.length - 1] === 0x3b;
    case 'webp':
      return data.length >= 8 && data.readUInt32LE(4) + 8 <= data.length;
    default:
      return true; // TIFF and HEIF are offset-based: no cheap end marker, a failure is reported as corrupt.
  }
}
