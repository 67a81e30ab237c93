// Scans a folder and prints one JSON record per line. The permission test runs this as an unprivileged user,
// because root reads files whatever their mode. Usage: node bin/run-ts.js src/scan/testing/scan-json.ts ROOT THUMBS
import { scanFolder } from '../scanner.js';

const [root, thumbDir] = process.argv.slice(2);
if (!root || !thumbDir) {
  console.error('usage: scan-json ROOT THUMB_DIR');
  process.exit(2);
}
for await (const record of scanFolder(root, { role: 'inbox', known: () => undefined, thumbDir })) {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}
