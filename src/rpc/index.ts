// The rpc layer: one contract (shared/api.ts), served by a dispatcher, reached through createClient over any
// transport. Everything here is browser-safe.
export * from './types.js';
export { createDispatcher, checkCall, invoke, isServiceName, type CheckedCall, type Dispatcher } from './dispatcher.js';
export { createClient } from './client.js';
export { onEvent, subscribeAll, isEventName, type ApiEventSource } from './events.js';
export { createLocalTransport } from './local-transport.js';
export { createHttpTransport, codeForStatus, type HttpTransportOptions } from './http-transport.js';
export { createIpcTransport, type IpcBridge } from './ipc-transport.js';
export { readSse, type SseConnection } from './sse-reader.js';
