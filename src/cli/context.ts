// What a command gets: its parsed arguments, the typed client of the Api (the same dispatcher and validation
// as the renderer's IPC and HTTP calls), where to print, and how to wait for a job.
import type { ParseArgsConfig } from 'node:util';
import type { Api } from '../shared/api.js';
import type { JobRef, JobResult } from '../shared/dto.js';
import type { Services } from '../services/index.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  stderr: NodeJS.WriteStream;
}

export type RunJob = (start: Promise<JobRef>) => Promise<JobResult>;

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  /** `createClient<Api>(localTransport)`: every call is checked by the one schema before a service runs. */
  api: Api;
  /** Only for `serve`, which hands the services to the HTTP server (a client cannot serve them). */
  services: Services;
  io: CliIo;
  runJob: RunJob;
}

/** One `ssod` command: its usage line, its arguments, and what it does with the client. */
export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  positionals: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  /** How this command names the Api arguments it passes by position, e.g. { 'runs.setCurrent[0]': '--use' }. */
  arguments?: Record<string, string>;
  run(ctx: CommandContext): Promise<number>;
}
