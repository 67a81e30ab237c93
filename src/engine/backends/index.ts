// Public surface of backend selection.
export { BACKEND_ORDER, describeBackend, isBackendName, parseBackendName, selectBackend } from './select-backend.js';
