// Electron renderer: the preload's bridge ({ call, listen }) is the whole transport; images come through the
// app's custom protocol by opaque id. No Node or Electron imports: the renderer bundles this.
import type { ImageVariant } from '../shared/api.js';
import {
  ELECTRON_IMAGE_PROTOCOL,
  type CallMessage,
  type CallReply,
  type EventHandler,
  type Transport,
} from './types.js';

/** The shape the preload exposes (electron/preload derives the same type from its code). */
export interface IpcBridge {
  call(message: CallMessage): Promise<CallReply>;
  listen(handler: EventHandler): () => void;
}

export function createIpcTransport(bridge: IpcBridge): Transport {
  return {
    call: (message) => bridge.call(message),
    listen: (handler) => bridge.listen(handler),
    imageUrl: (variant: ImageVariant, id: number) => `${ELECTRON_IMAGE_PROTOCOL}://${variant}/${id}`,
  };
}
