/** The HTTP layer's public surface, for cli/ to wire. */
export { createHttpApp, type HttpAppOptions, type SignalControl } from './app.js';
export { listenHttp, listenHttps, type AcceptPeer, type HttpListener } from './server.js';
export { API_PREFIX, buildOpenApi } from './openapi.js';
export { loadOrCreateCertificate, type Certificate, type CertificateOptions } from './tls.js';
