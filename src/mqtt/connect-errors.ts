/**
 * Connection failures in words a user can act on, classified by error code (STYLE 6: library
 * errors are wrapped at the edge): CONNACK return codes (MQTT 3.1.1 §3.2.2.3), certificate
 * verification failures, other TLS handshake failures, and everything else (unreachable).
 */
import type { ErrorCode } from '../errors.js';
import { withoutCredentials } from '../net-address.js';

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

/** The chain does not lead to a trusted CA; `ca` says which CA setting was used. */
const notTrusted = (ca: string) => `the broker's certificate is not trusted (${ca})`;

/**
 * node:tls codes of a certificate the client does not trust, each with what is wrong in words
 * (#14 point 17: a certificate for another host name was reported as "not signed by the CA").
 * `ca` is the sentence about the CA setting, for the codes where the chain is the problem.
 */
const UNTRUSTED: Record<string, (ca: string, error: Error & { host?: unknown }) => string> = {
  // RFC 6125 §6: the name the client connected to must be one the certificate lists.
  ERR_TLS_CERT_ALTNAME_INVALID: (_ca, e) =>
    `the broker's certificate is for another host name${typeof e.host === 'string' ? ` than "${e.host}"` : ''} (connect by a name it lists, or give the broker a certificate for this name)`,
  CERT_HAS_EXPIRED: () => "the broker's certificate has expired",
  CERT_NOT_YET_VALID: () => "the broker's certificate is not valid yet (check the clocks)",
  DEPTH_ZERO_SELF_SIGNED_CERT: (ca) => `the broker's certificate is self-signed and not trusted (${ca})`,
  SELF_SIGNED_CERT_IN_CHAIN: (ca) => `the broker's certificate chains to a CA that is not trusted (${ca})`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: notTrusted,
  UNABLE_TO_GET_ISSUER_CERT: notTrusted,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: notTrusted,
  CERT_UNTRUSTED: notTrusted,
  CERT_REJECTED: () => "the broker's certificate is rejected for this purpose (not a TLS server certificate)",
  CERT_SIGNATURE_FAILURE: () => "the broker's certificate has a signature that does not verify",
  INVALID_CA: () => "the broker's certificate chain holds a certificate that may not act as a CA",
  CERT_REVOKED: () => "the broker's certificate is revoked",
};

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
const CONNACK: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

/** A readable, classified error for lastError and the log. Library errors are wrapped here. */
export function describeError(error: Error & { code?: unknown; host?: unknown }, s: DescribeSettings): Omit<MqttError, 'at'> {
  // Into lastError, the status route and the log: a URL's user:password never is (#18).
  const url = withoutCredentials(s.url);
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
  const untrusted = typeof code === 'string' ? (Object.hasOwn(UNTRUSTED, code) ? UNTRUSTED[code] : undefined) : error.message === 'TLS not authorized' ? UNTRUSTED.CERT_UNTRUSTED : undefined;
  if (untrusted) {
    const ca = s.tls.caFile ? `not signed by the CA in mqtt.tls.ca (${s.tls.caFile})` : 'not signed by a CA this system trusts; set mqtt.tls.ca';
    return { code: 'MQTT_TLS_FAILED', message: `${url}: ${untrusted(ca, error)}: ${text}` };
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) {
    const versions = s.tls.minVersion === s.tls.maxVersion ? s.tls.minVersion : `${s.tls.minVersion} to ${s.tls.maxVersion}`;
    return { code: 'MQTT_TLS_FAILED', message: `${url}: the TLS handshake failed (${versions}): ${text}` };
  }
  return { code: 'MQTT_CONNECT_FAILED', message: `${url}: cannot connect to the broker: ${text}` };
}
