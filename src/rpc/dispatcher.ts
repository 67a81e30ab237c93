// The serving end of the one channel: a message from outside (IPC, HTTP) is `unknown` until its shape, its
// service and method (only those in the contract) and its arguments are checked. Thrown errors become values so
// nothing vanishes at the boundary: AppError keeps its code, anything else is 'internal'.
import { SERVICE_NAMES, type Api, type ServiceName } from '../shared/api.js';
import { AppError, serializeError } from '../shared/errors.js';
import { isApiMethod, validateArgs } from '../shared/validate.js';
import type { CallMessage, CallReply } from './types.js';

export interface CheckedCall {
  service: ServiceName;
  method: string;
  args: unknown[];
}

export type Dispatcher = (message: unknown) => Promise<CallReply>;

const MAX_NAME = 64;

/** Checks the envelope only (not the arguments). Throws AppError: 'invalid-argument' or 'not-found'. */
export function checkCall(message: unknown): CheckedCall {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new AppError('invalid-argument', 'call: expected an object { service, method, args }');
  }
  const m = message as Partial<Record<keyof CallMessage, unknown>>;
  for (const key of Object.keys(m)) {
    if (key !== 'service' && key !== 'method' && key !== 'args') {
      throw new AppError('invalid-argument', `call: unknown field '${key}'`);
    }
  }
  const { service, method, args } = m;
  if (typeof service !== 'string' || service.length > MAX_NAME) {
    throw new AppError('invalid-argument', 'call.service: expected a string');
  }
  if (typeof method !== 'string' || method.length > MAX_NAME) {
    throw new AppError('invalid-argument', 'call.method: expected a string');
  }
  if (args !== undefined && !Array.isArray(args))
    throw new AppError('invalid-argument', 'call.args: expected an array');
  if (!isServiceName(service)) throw new AppError('not-found', `unknown service '${service}'`);
  // The schema table is the allow-list: '__proto__', 'constructor', 'toString' are never its own keys.
  if (!isApiMethod(service, method)) throw new AppError('not-found', `unknown method '${service}.${method}'`);
  return { service, method, args: (args ?? []) as unknown[] };
}

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** Runs a checked call against the api: validates arguments, then invokes the method with its service as `this`. */
export async function invoke(api: Api, call: CheckedCall): Promise<unknown> {
  const args = validateArgs(call.service, call.method, call.args);
  const target = api[call.service] as unknown as Record<string, unknown>;
  const fn = target[call.method];
  if (typeof fn !== 'function')
    throw new AppError('not-found', `method '${call.service}.${call.method}' is not served`);
  return (await (fn as (...a: unknown[]) => unknown).apply(target, args)) ?? null;
}

export function createDispatcher(api: Api): Dispatcher {
  return async (message) => {
    try {
      const value = await invoke(api, checkCall(message));
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  };
}
