// For the state classes' unit tests: the fake services behind the real local transport (the same dispatcher,
// validation and JSON round trip as the wires), installed as the renderer's backend with live-sync connected.
import { createLocalTransport } from '../../../src/rpc/index.js';
import { backendFromTransport, setBackend, type Backend } from '../lib/backend.js';
import { connectLive } from '../state/live-sync.js';
import { FakeApi, fakeImageUrl } from './fake-api.js';

export interface TestBackend {
  api: FakeApi;
  backend: Backend;
  disconnect(): void;
}

export function installFakeBackend(options: { images?: number; populate?: boolean } = {}): TestBackend {
  const api = new FakeApi({ images: options.images ?? 300, tickMs: 0 });
  if (options.populate !== false) api.populate();
  const transport = createLocalTransport(api, api);
  const backend = backendFromTransport({ ...transport, imageUrl: fakeImageUrl }, 'fake', null);
  setBackend(backend);
  const disconnect = connectLive(backend);
  return { api, backend, disconnect };
}
