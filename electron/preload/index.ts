// The renderer's only door to the app: exactly { call, listen, pickFolder }. Nothing of ipcRenderer leaks out,
// and the renderer's type for it is derived from this code (`Bridge`), not written by hand.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNELS, type CallMessage, type CallReply, type EventHandler } from '../../src/rpc/types.js';
import type { IpcBridge } from '../../src/rpc/ipc-transport.js';
import { PICK_FOLDER_CHANNEL } from '../channels.js';

const bridge = {
  call: (message: CallMessage): Promise<CallReply> =>
    ipcRenderer.invoke(IPC_CHANNELS.call, message) as Promise<CallReply>,
  listen: (handler: EventHandler): (() => void) => {
    const listener = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (typeof name === 'string') handler(name, payload);
    };
    ipcRenderer.on(IPC_CHANNELS.event, listener);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNELS.event, listener);
    };
  },
  /** Native folder dialog; null when cancelled. */
  pickFolder: (): Promise<string | null> => ipcRenderer.invoke(PICK_FOLDER_CHANNEL) as Promise<string | null>,
} satisfies IpcBridge & { pickFolder(): Promise<string | null> };

contextBridge.exposeInMainWorld('ssod', bridge);

export type Bridge = typeof bridge;
/** The global name the bridge is exposed under: `window.ssod`. */
export const BRIDGE_GLOBAL = 'ssod';
