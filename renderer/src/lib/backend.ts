// The renderer's one way to the services: a typed Api client over whichever transport main.ts chose, typed
// events, image URLs by opaque id, and the native folder picker when the host has one (Electron).
import type { Api, ApiEvents, EventName, ImageVariant } from '../../../src/shared/api.js';
import { createClient, onEvent } from '../../../src/rpc/index.js';
import type { Transport } from '../../../src/rpc/types.js';

export type HostMode = 'electron' | 'browser' | 'fake';

export interface Backend {
  api: Api;
  on<E extends EventName>(name: E, handler: (payload: ApiEvents[E]) => void): () => void;
  imageUrl(variant: ImageVariant, id: number): string;
  pickFolder: (() => Promise<string | null>) | null;
  mode: HostMode;
}

export function backendFromTransport(
  transport: Transport,
  mode: HostMode,
  pickFolder: (() => Promise<string | null>) | null = null,
): Backend {
  return {
    api: createClient<Api>(transport),
    on: (name, handler) => onEvent(transport, name, handler),
    imageUrl: (variant, id) => transport.imageUrl(variant, id),
    pickFolder,
    mode,
  };
}

let current: Backend | null = null;

export function setBackend(b: Backend): void {
  current = b;
}

export function backend(): Backend {
  if (!current) throw new Error('backend used before main.ts set it');
  return current;
}
