// Child of scan-crash.test.ts: opens a project and runs the services' scan job, printing `committed N` after each
// committed batch (runScan's afterBatch hook) and `done <summary JSON>` at the end.
// Usage: scan-writer PROJECT_DIR BATCH_SIZE
import { openProject } from '../../../src/services/project-handle.js';
import { runScan } from '../../../src/services/jobs/scan-job.js';

const [dir, batchArg] = process.argv.slice(2);
if (!dir || !batchArg) {
  console.error('usage: scan-writer PROJECT_DIR BATCH_SIZE');
  process.exit(2);
}
const project = openProject(dir);
const controller = new AbortController();
process.stdout.write('ready\n');
const summary = await runScan(
  project,
  { signal: controller.signal, progress: () => undefined },
  {
    batchSize: Number(batchArg),
    afterBatch: (committed) => process.stdout.write(`committed ${committed}\n`),
  },
);
process.stdout.write(`done ${JSON.stringify(summary)}\n`);
project.close();
