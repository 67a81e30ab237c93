// `ssod`: a client of the Api like the renderer. Each command parses its arguments, calls the Api through
// `createClient<Api>(localTransport)` — the dispatcher and the one schema the IPC and HTTP transports use —
// prints a result (human text, or one JSON document / JSON lines with --json) and returns an exit code. User
// mistakes are one-line messages, never stack traces.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createClient, createLocalTransport, onEvent, type Transport } from '../rpc/index.js';
import type { Api } from '../shared/api.js';
import { AppError, isAppError } from '../shared/errors.js';
import { createServices, type ServicesOptions } from '../services/index.js';
import { argumentName } from './argument-names.js';
import { COMMANDS } from './commands.js';
import type { CliIo, CommandSpec, RunJob } from './context.js';
import { createProgressBar } from './progress-bar.js';

export type { CliIo } from './context.js';

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

type Parsed = ReturnType<typeof parseCommand>;

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
  let parsed: Parsed;
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
  return runCommand(command, parsed, io, services);
}

async function runCommand(command: CommandSpec, parsed: Parsed, io: CliIo, options: ServicesOptions): Promise<number> {
  const app = createServices(options);
  const transport = createLocalTransport(app.api, app.bus);
  const api = createClient<Api>(transport);
  try {
    return await command.run({ ...parsed, api, services: app, io, runJob: jobRunner(api, transport, io, parsed.json) });
  } catch (error) {
    return reportError(command, error, io);
  } finally {
    await app.close();
  }
}

/** One line on stderr; exit 2 for a usage mistake, 1 for a refusal or failure, 70 for a bug. */
function reportError(command: CommandSpec, error: unknown, io: CliIo): number {
  if (isAppError(error)) {
    io.err(`ssod ${command.name}: ${cliMessage(command, error)}`);
    return error.code === 'invalid-argument' ? 2 : 1;
  }
  io.err(`ssod ${command.name}: internal error: ${(error as Error).message}`);
  if (process.env.SSOD_DEBUG) io.err(String((error as Error).stack));
  return 70;
}

/** A refused argument is named as the user typed it (`--folds must be in [2, 20], got 1`), not by its API path. */
function cliMessage(command: CommandSpec, error: AppError): string {
  const prefix = error.path === undefined ? '' : `${error.path}: `;
  if (!prefix || !error.message.startsWith(prefix)) return error.message;
  const name = argumentName(command, error.path!);
  return name ? `${name} ${error.message.slice(prefix.length)}` : error.message;
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

/** Wait for a job with a progress bar; Ctrl-C cancels the job cleanly instead of killing mid-write. */
function jobRunner(api: Api, transport: Transport, io: CliIo, json: boolean): RunJob {
  return async (start) => {
    const ref = await start;
    const bar = createProgressBar(io.stderr, !json && io.stderr.isTTY);
    const off = onEvent(transport, 'job.progress', (p) => {
      if (p.jobId === ref.id) bar.update(p);
    });
    const onSigint = (): void => {
      io.err('\ncancelling…');
      void api.jobs.cancel(ref.id);
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await api.jobs.wait(ref.id);
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
