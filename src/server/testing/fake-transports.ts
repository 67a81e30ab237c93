// The three wires a client of the Api can sit on, each in front of its own fake Api, for tests that must see the
// same behaviour whatever the wire: in-process (the CLI's), the HTTP bridge (browser mode, a real server on
// 127.0.0.1) and an IPC stand-in (Electron's invoke and webContents.send structured-clone every message into main
// and every reply and event back out, so this one does the same around the same dispatcher).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher } from '../../rpc/dispatcher.js';
import { subscribeAll } from '../../rpc/events.js';
import { createHttpTransport } from '../../rpc/http-transport.js';
import { createIpcTransport } from '../../rpc/ipc-transport.js';
import { createLocalTransport } from '../../rpc/local-transport.js';
import type { FakeApi } from '../../rpc/testing/fake-api.js';
import type { Transport } from '../../rpc/types.js';
import { startServer } from '../http-server.js';

export const TRANSPORT_NAMES = ['local', 'http', 'ipc'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

export interface FakeTransports {
  fakes: Record<TransportName, FakeApi>;
  transports: Record<TransportName, Transport>;
  /** Stops the HTTP server and removes its static folder. */
  close: () => Promise<void>;
}

function ipcStandIn(fake: FakeApi): Transport {
  const dispatch = createDispatcher(fake.api);
  return createIpcTransport({
    call: async (message) => structuredClone(await dispatch(structuredClone(message))),
    listen: (handler) => subscribeAll(fake.events, (name, payload) => handler(name, structuredClone(payload))),
  });
}

/** `makeFake` is called once per wire, so each wire's fake records only the calls that came over it. */
export async function startFakeTransports(makeFake: () => FakeApi): Promise<FakeTransports> {
  const dir = await mkdtemp(join(tmpdir(), 'ssod-transports-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html>');
  const fakes = { local: makeFake(), http: makeFake(), ipc: makeFake() };
  const server = await startServer({
    api: fakes.http.api,
    events: fakes.http.events,
    images: () => Promise.resolve(null),
    staticDir: dir,
  });
  const transports: Record<TransportName, Transport> = {
    local: createLocalTransport(fakes.local.api, fakes.local.events),
    http: createHttpTransport(server.origin, { headers: { authorization: `Bearer ${server.token}` } }),
    ipc: ipcStandIn(fakes.ipc),
  };
  const close = async (): Promise<void> => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { fakes, transports, close };
}
