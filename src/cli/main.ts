// `ssod`: a thin client of the services. Each command parses its arguments, calls the Api, prints a result
// (human text, or one JSON document / JSON lines with --json) and returns an exit code. User mistakes are
// one-line messages, never stack traces.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Api } from '../shared/api.js';
import type { JobRef, JobResult } from '../shared/dto.js';
import { AppError, isAppError } from '../shared/errors.js';
import { createServices, type Services, type ServicesOptions } from '../services/index.js';
import { createProgressBar } from './progress-bar.js';
import { COMMANDS, type CommandSpec } from './commands.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  stderr: NodeJS.WriteStream;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  stderr: process.stderr,
};

/** `ssod list --json | head`: a reader that stops early ends the output quietly, not with an EPIPE stack trace. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function usage(): string {
  const lines = ['usage: ssod <command> [options]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.usage.padEnd(64)} ${c.summary}`);
  lines.push('', 'Every command takes --json for machine-readable output.');
  return lines.join('\n');
}

/** `services` lets tests run commands in-process with their own data folder and engine. */
export async function main(argv: string[], io: CliIo = defaultIo, services: ServicesOptions = {}): Promise<number> {
  if (io === defaultIo) quietOnClosedPipe();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out('0.1.0');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`ssod: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(command, rest);
  } catch (error) {
    io.err(`ssod ${name}: ${(error as Error).message}\nusage: ssod ${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`usage: ssod ${command.usage}\n${command.summary}`);
    return 0;
  }
  const app = createServices(services);
  try {
    return await command.run({
      ...parsed,
      services: app,
      api: app.api,
      io,
      runJob: jobRunner(app, io, parsed.json),
    });
  } catch (error) {
    if (isAppError(error)) {
      io.err(`ssod ${name}: ${error.message}`);
      return error.code === 'invalid-argument' ? 2 : 1;
    }
    io.err(`ssod ${name}: internal error: ${(error as Error).message}`);
    if (process.env.SSOD_DEBUG) io.err(String((error as Error).stack));
    return 70;
  } finally {
    await app.close();
  }
}

function parseCommand(command: CommandSpec, args: string[]) {
  const options: NonNullable<ParseArgsConfig['options']> = {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...command.options,
  };
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const min = command.positionals.filter((p) => !p.endsWith('?')).length;
  if (positionals.length < min && !values.help) {
    throw new Error(`expected ${command.positionals.join(' ')}`);
  }
  if (positionals.length > command.positionals.length) {
    throw new Error(`unexpected argument '${positionals[command.positionals.length]}'`);
  }
  return { values: values as Record<string, string | boolean | undefined>, positionals, json: values.json === true };
}

export type RunJob = (start: Promise<JobRef>) => Promise<JobResult>;

/** Wait for a job with a progress bar; Ctrl-C cancels the job cleanly instead of killing mid-write. */
function jobRunner(services: Services, io: CliIo, json: boolean): RunJob {
  return async (start) => {
    const ref = await start;
    const bar = createProgressBar(io.stderr, !json && io.stderr.isTTY);
    const off = services.bus.on('job.progress', (p) => {
      if (p.jobId === ref.id) bar.update(p);
    });
    const onSigint = (): void => {
      io.err('\ncancelling…');
      void services.api.jobs.cancel(ref.id);
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await services.api.jobs.wait(ref.id);
      if (result.outcome === 'cancelled') throw new AppError('cancelled', 'cancelled');
      if (result.outcome === 'failed') throw new AppError('engine-failed', result.error ?? 'job failed');
      return result;
    } finally {
      process.off('SIGINT', onSigint);
      off();
      bar.done();
    }
  };
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  services: Services;
  api: Api;
  io: CliIo;
  runJob: RunJob;
}
