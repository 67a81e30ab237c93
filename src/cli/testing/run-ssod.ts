// `ssod` in-process for the CLI tests: main(argv, io) with the test's own data folder and engine, collecting
// stdout, stderr and the exit code the way a terminal would see them. One runner, so the three CLI suites cannot
// drift apart in how they capture output or which services they start.
import type { ServicesOptions } from '../../services/index.js';
import { main, type CliIo } from '../main.js';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

export interface SsodRunner {
  /** Any outcome: the exit code and both streams. */
  run: (...argv: string[]) => Promise<Ran>;
  /** A command that must succeed (exit 0): its stdout; anything else throws with the command and its stderr. */
  ok: (...argv: string[]) => Promise<string>;
  /** A command that must succeed with --json: its single JSON document. */
  json: <T>(...argv: string[]) => Promise<T>;
  /** A command that must succeed with --json and prints JSON lines (one document per line). */
  jsonLines: <T>(...argv: string[]) => Promise<T[]>;
}

/** Each line is terminated once, as `process.stdout.write` of main's default io would leave it. */
function captureIo(): { io: CliIo; output: () => { out: string; err: string } } {
  let out = '';
  let err = '';
  const line = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = {
    out: (t) => (out += line(t)),
    err: (t) => (err += line(t)),
    // Not a TTY: the progress bar stays quiet, as it does when output is piped.
    stderr: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream,
  };
  return { io, output: () => ({ out, err }) };
}

export async function runSsod(argv: readonly string[], services: ServicesOptions): Promise<Ran> {
  const { io, output } = captureIo();
  const code = await main([...argv], io, services);
  return { code, ...output() };
}

export function parseJsonLines<T>(out: string): T[] {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/**
 * `services` is read at each call, so a suite can build its temp folder in beforeAll and still create the
 * runner at module level.
 */
export function ssodRunner(services: () => ServicesOptions): SsodRunner {
  const run = (...argv: string[]): Promise<Ran> => runSsod(argv, services());
  const ok = async (...argv: string[]): Promise<string> => {
    const r = await run(...argv);
    if (r.code !== 0) throw new Error(`ssod ${argv.join(' ')} exited ${r.code}: ${r.err}`);
    return r.out;
  };
  return {
    run,
    ok,
    json: async <T>(...argv: string[]) => JSON.parse(await ok(...argv, '--json')) as T,
    jsonLines: async <T>(...argv: string[]) => parseJsonLines<T>(await ok(...argv, '--json')),
  };
}
