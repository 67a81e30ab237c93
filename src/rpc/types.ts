// Wire format shared by every transport (Electron IPC, HTTP bridge, in-process tests). One generic channel:
// a call names a service and a method of `Api`; events are (name, payload) pairs from `ApiEvents`.
import type { SerializedError } from '../shared/errors.js';
import type { ImageVariant } from '../shared/api.js';

export interface CallMessage {
  service: string;
  method: string;
  args: unknown[];
}

export type CallReply = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export type EventHandler = (event: string, payload: unknown) => void;

/** What a client needs from its transport. */
export interface Transport {
  call(message: CallMessage): Promise<CallReply>;
  /** Subscribe to every event; returns an unsubscribe function. */
  listen(handler: EventHandler): () => void;
  /** URL the renderer can put in <img src> for an image by opaque id. */
  imageUrl(variant: ImageVariant, id: number): string;
}

/** HTTP bridge routes (browser mode). */
export const HTTP_ROUTES = {
  call: '/api/call',
  events: '/api/events',
  image: '/img', // GET /img/thumb/<id> | /img/full/<id>
  login: '/auth', // GET /auth?token=... sets the HttpOnly cookie and redirects to /
} as const;

/** Electron: the custom protocol for images by id (ssod-img://thumb/<id>) and the IPC channel names. */
export const ELECTRON_IMAGE_PROTOCOL = 'ssod-img';
export const IPC_CHANNELS = { call: 'ssod:call', event: 'ssod:event' } as const;
