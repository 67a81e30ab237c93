// Browser mode (`ssod serve`): the HTTP bridge in front of the services.
export { startServer, hostWarning, type ImageProvider, type RunningServer, type ServerOptions } from './http-server.js';
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './headers.js';
export { cookieName, isLoopbackHost } from './perimeter.js';
