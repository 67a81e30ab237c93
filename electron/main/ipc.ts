// The IPC host: one handler for every call (validated by the same dispatcher as HTTP), events pushed to the
// window, and the native folder dialog. Only the app's own window, main frame, on the app's origin may call.
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { createDispatcher, type Dispatcher } from '../../src/rpc/dispatcher.js';
import { subscribeAll, type ApiEventSource } from '../../src/rpc/events.js';
import { IPC_CHANNELS, type CallReply } from '../../src/rpc/types.js';
import type { Api } from '../../src/shared/api.js';
import { PICK_FOLDER_CHANNEL } from '../channels.js';
import { isAppUrl } from './security.js';

/** The parts of an IPC event the sender check reads. */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

/** True only for the trusted window's main frame showing the app itself. */
export function isTrustedSender(event: SenderInfo, trustedContentsId: number): boolean {
  const frame = event.senderFrame;
  return event.sender.id === trustedContentsId && frame !== null && frame.parent === null && isAppUrl(frame.url);
}

const FORBIDDEN: CallReply = { ok: false, error: { code: 'forbidden', message: 'caller is not the app window' } };

export function createCallHandler(
  dispatch: Dispatcher,
  isTrusted: (event: SenderInfo) => boolean,
): (event: SenderInfo, message: unknown) => Promise<CallReply> {
  return async (event, message) => (isTrusted(event) ? dispatch(message) : FORBIDDEN);
}

export interface IpcHost {
  dispose(): void;
}

export function setupIpc(window: BrowserWindow, api: Api, events: ApiEventSource): IpcHost {
  const contentsId = window.webContents.id;
  const trusted = (event: SenderInfo) => isTrustedSender(event, contentsId);
  const handleCall = createCallHandler(createDispatcher(api), trusted);

  ipcMain.handle(IPC_CHANNELS.call, (event: IpcMainInvokeEvent, message: unknown) => handleCall(event, message));
  ipcMain.handle(PICK_FOLDER_CHANNEL, async (event: IpcMainInvokeEvent) => {
    if (!trusted(event)) return null;
    const result = await dialog.showOpenDialog(window, { properties: ['openDirectory', 'createDirectory'] });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  const off = subscribeAll(events, (name, payload) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_CHANNELS.event, name, payload);
  });
  return {
    dispose() {
      off();
      ipcMain.removeHandler(IPC_CHANNELS.call);
      ipcMain.removeHandler(PICK_FOLDER_CHANNEL);
    },
  };
}
