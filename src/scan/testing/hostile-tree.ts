// A folder built to break scanners: every reason code, special files, symlink traps, odd names.
// The expected outcome travels with the tree so the test asserts exact counts.
import { mkdir, writeFile, symlink, copyFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ErrorCode } from '../../shared/dto.js';
import { bmpHeader, corruptMiddle, encode, jpeg, pngClaiming, rotatedJpeg } from './images.js';

export interface HostileTree {
  root: string;
  /** Where the "outside" link points (a sibling folder of root, also in the temp dir). */
  outside: string;
  expectOk: number;
  expectErrors: Partial<Record<ErrorCode, number>>;
  expectSkipped: Record<string, number>;
  /** relPath → class for a few files (role train). */
  expectClass: Record<string, string | null>;
}

const EVIL_SVG =
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">' +
  '<script>alert(1)</script><image href="file:///etc/passwd"/></svg>\n';

/** Builds the tree under `base` (a fresh temp dir). */
export async function buildHostileTree(base: string): Promise<HostileTree> {
  const root = join(base, 'source');
  const outside = join(base, 'outside');
  const d = (...p: string[]): string => join(root, ...p);
  for (const dir of ['cats/sub/deeper', 'dogs', 'bad/nested', 'unicode ünï 猫', 'links'])
    await mkdir(d(dir), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.jpg'), await jpeg(32, 32, 5));

  const goodJpeg = await jpeg(320, 240, 1);
  const goodPng = await encode('png', 200, 100, 2);
  // Good images: 10, across formats and a 3-level class tree.
  await writeFile(d('cats/ok1.jpg'), goodJpeg);
  await writeFile(d('cats/grey.png'), await encode('png', 120, 80, 3, 1));
  await writeFile(d('cats/sub/deeper/ok3.webp'), await encode('webp', 100, 100, 4));
  await writeFile(d('dogs/a.gif'), await encode('gif', 64, 48, 5));
  await writeFile(d('dogs/b.tiff'), await encode('tiff', 64, 48, 6));
  await writeFile(d('dogs/c.avif'), await encode('avif', 64, 48, 7));
  await writeFile(d('dogs/rotated.jpg'), await rotatedJpeg(64, 32));
  await writeFile(d('unicode ünï 猫', 'ñandú 🐈.jpg'), await jpeg(50, 50, 8));
  await writeFile(d('cats', 'new\nline.png'), goodPng);
  await writeFile(d('at-root.jpg'), await jpeg(40, 40, 9));

  // Failures.
  await writeFile(d('bad/truncated.jpg'), goodJpeg.subarray(0, Math.floor(goodJpeg.length / 2)));
  await writeFile(d('bad/truncated.png'), goodPng.subarray(0, Math.floor(goodPng.length / 2)));
  await writeFile(d('bad/corrupt.jpg'), corruptMiddle(goodJpeg, 20, 700)); // header tables zeroed, EOI kept
  await writeFile(d('bad/corrupt.png'), corruptMiddle(goodPng, 60, goodPng.length)); // IDAT zeroed, IEND kept
  await writeFile(d('bad/empty.jpg'), '');
  await writeFile(d('bad/nested/empty.png'), '');
  await writeFile(d('bad/notes.jpg'), 'this is a text file with a .jpg name\n');
  await writeFile(d('bad/bomb.png'), pngClaiming(100_000, 100_000));
  await writeFile(d('bad/evil.svg'), EVIL_SVG);
  await writeFile(d('bad/evil-svg.jpg'), EVIL_SVG);
  await writeFile(d('bad/old.bmp'), bmpHeader());
  execFileSync('mkfifo', [d('bad/pipe.jpg')]);
  // A name that is not UTF-8, and a folder with such a name (its content is not scanned).
  writeFileSync(
    Buffer.concat([Buffer.from(d('bad') + '/latin1-'), Buffer.from([0xe9, 0xff]), Buffer.from('.jpg')]),
    goodJpeg,
  );
  const badDir = Buffer.concat([Buffer.from(d('bad') + '/dir-'), Buffer.from([0xfe])]);
  await mkdir(badDir);
  writeFileSync(Buffer.concat([badDir, Buffer.from('/inside.jpg')]), goodJpeg);

  // Symlink traps: a loop to an ancestor, a self-loop, a dangling link, a link out of the root, a duplicate file.
  await symlink('..', d('links/up'));
  await symlink('self', d('links/self'));
  await symlink('does-not-exist.jpg', d('links/dangling.jpg'));
  await symlink(outside, d('links/outside'));
  await symlink(join('..', 'cats', 'ok1.jpg'), d('links/dup.jpg'));
  // A copy under another name: same content, so no second decode (thumbnail cached by hash).
  await copyFile(d('cats/ok1.jpg'), d('dogs/ok1-copy.jpg'));

  return {
    root,
    outside,
    expectOk: 11,
    expectErrors: {
      truncated: 2,
      'not-an-image': 4, // corrupt.jpg, corrupt.png, notes.jpg, pipe.jpg (FIFO, never opened)
      'zero-byte': 2,
      'too-large': 1,
      'unsupported-format': 3, // evil.svg, evil-svg.jpg, old.bmp
      'invalid-utf8-name': 2, // a file and a folder
    },
    expectSkipped: { 'symlink-already-walked': 2, 'symlink-loop': 1, 'broken-symlink': 1, 'symlink-outside-root': 1 },
    expectClass: {
      'cats/sub/deeper/ok3.webp': 'cats',
      'at-root.jpg': null,
      'unicode ünï 猫/ñandú 🐈.jpg': 'unicode ünï 猫',
      'cats/new\nline.png': 'cats',
    },
  };
}
