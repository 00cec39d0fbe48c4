/**
 * Connection failures in words a user can act on, classified by error code (STYLE 6: library
 * errors are wrapped at the edge): CONNACK return codes (MQTT 3.1.1 §3.2.2.3), certificate
 * verification failures, other TLS handshake failures, and everything else (unreachable).
 */
import type { ErrorCode } from '../errors.js';

export interface MqttError {
  code: ErrorCode;
  message: string;
  /** ISO time of the device clock. */
  at: string;
}

/** What the messages mention. */
export interface DescribeSettings {
  url: string;
  username: string | null;
  tls: { minVersion: string; maxVersion: string; caFile: string | null };
}

/** node:tls codes of a certificate the client does not trust. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
const CONNACK: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

/** A readable, classified error for lastError and the log. Library errors are wrapped here. */
export function describeError(error: Error & { code?: unknown }, s: DescribeSettings): Omit<MqttError, 'at'> {
  const url = s.url;
  const code = error.code;
  if (typeof code === 'number') {
    const what = CONNACK[code] ?? error.message;
    if (code === 4 || code === 5) {
      const who = s.username === null ? 'without a username' : `as user "${s.username}"`;
      return { code: 'MQTT_AUTH_FAILED', message: `${url}: the broker refused the login ${who}: ${what} (CONNACK ${code})` };
    }
    return { code: 'MQTT_CONNECT_FAILED', message: `${url}: the broker refused the connection: ${what} (CONNACK ${code})` };
  }
  const text = typeof code === 'string' ? `${error.message} (${code})` : error.message;
  if ((typeof code === 'string' && UNTRUSTED.has(code)) || error.message === 'TLS not authorized') {
    const ca = s.tls.caFile ? `not signed by the CA in mqtt.tls.ca (${s.tls.caFile})` : 'not signed by a CA this system trusts; set mqtt.tls.ca';
    return { code: 'MQTT_TLS_FAILED', message: `${url}: the broker's certificate is not trusted (${ca}): ${text}` };
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) {
    const versions = s.tls.minVersion === s.tls.maxVersion ? s.tls.minVersion : `${s.tls.minVersion} to ${s.tls.maxVersion}`;
    return { code: 'MQTT_TLS_FAILED', message: `${url}: the TLS handshake failed (${versions}): ${text}` };
  }
  return { code: 'MQTT_CONNECT_FAILED', message: `${url}: cannot connect to the broker: ${text}` };
}
