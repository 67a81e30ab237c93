// Dev-only backend: the fake services through the real local transport (same dispatcher and JSON round trip
// as the wires), with generated thumbnails.
import { createLocalTransport } from '../../../src/rpc/index.js';
import { backendFromTransport, type Backend } from '../lib/backend.js';
import { FakeApi, fakeImageUrl } from './fake-api.js';

export function createFakeBackend(images: number): Backend {
  const api = new FakeApi({ images });
  api.populate();
  const transport = createLocalTransport(api, api);
  return backendFromTransport({ ...transport, imageUrl: fakeImageUrl }, 'fake', null);
}
