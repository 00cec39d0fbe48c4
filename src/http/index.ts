/** The HTTP layer's public surface, for cli/ to wire. */
export { createHttpApp, type HttpAppOptions, type SignalControl } from './app.js';
export { listenHttp, type HttpListener } from './server.js';
export { API_PREFIX, buildOpenApi } from './openapi.js';
