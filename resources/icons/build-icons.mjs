#!/usr/bin/env node
// Regenerates the app icons from icon.svg: PNGs 16..1024 (Linux, window icon), icon.ico (Windows: PNG-encoded
// entries, supported since Vista) and icon.icns (macOS: PNG-encoded ic07..ic10 / icp4..icp6 entries). Offline,
// sharp only. Run: node resources/icons/build-icons.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const svg = await readFile(join(here, 'icon.svg'));
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const png = {};
for (const size of SIZES) {
  png[size] = await sharp(svg, { density: Math.max(72, (72 * size) / 512) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
  await writeFile(join(here, `${size}x${size}.png`), png[size]);
}
await writeFile(join(here, 'icon.png'), png[512]);

// ICO: ICONDIR, then one ICONDIRENTRY per image (width/height 0 means 256), then the PNG data.
function ico(sizes) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(sizes.length, 4);
  const entries = [];
  let offset = 6 + 16 * sizes.length;
  for (const size of sizes) {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0);
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png[size].length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png[size].length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...sizes.map((s) => png[s])]);
}

// ICNS: 'icns' + total length, then (type, length incl. 8-byte header, PNG data) per entry.
function icns(types) {
  const chunks = types.map(([type, size]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(8 + png[size].length, 4);
    return Buffer.concat([head, png[size]]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

await writeFile(join(here, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256]));
await writeFile(
  join(here, 'icon.icns'),
  icns([
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
  ]),
);
console.log(`icons: ${SIZES.length} PNGs, icon.ico, icon.icns in ${here}`);
