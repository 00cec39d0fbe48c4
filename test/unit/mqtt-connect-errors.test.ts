/**
 * describeError's words for each node:tls certificate code (#14 point 17). The host-name and
 * self-signed cases also run against a real TLS broker in test/integration/mqtt-connection.test.ts;
 * the expiry codes need a certificate outside its validity, which the openssl CLI cannot make
 * without a CA database, so they are checked here with the error node:tls raises.
 */
import { describe, expect, it } from 'vitest';
import { describeError, type DescribeSettings } from '../../src/mqtt/connect-errors.js';

const SETTINGS: DescribeSettings = { url: 'mqtts://broker:8883', username: null, tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', caFile: '/etc/ca.crt' } };

function tlsError(code: string, message: string, extra: object = {}): Error & { code: string } {
  return Object.assign(new Error(message), { code }, extra);
}

describe('#14.17: each certificate failure says what is wrong', () => {
  it.each([
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", { host: 'broker' }, `the broker's certificate is for another host name than "broker"`],
    ['CERT_HAS_EXPIRED', 'certificate has expired', {}, "the broker's certificate has expired"],
    ['CERT_NOT_YET_VALID', 'certificate is not yet valid', {}, "the broker's certificate is not valid yet"],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', {}, "the broker's certificate is self-signed and not trusted (not signed by the CA in mqtt.tls.ca (/etc/ca.crt))"],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', {}, "the broker's certificate is not trusted (not signed by the CA in mqtt.tls.ca (/etc/ca.crt))"],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', {}, "the broker's certificate chains to a CA that is not trusted"],
  ])('%s', (code, message, extra, words) => {
    const described = describeError(tlsError(code, message, extra), SETTINGS);
    expect(described.code).toBe('MQTT_TLS_FAILED');
    expect(described.message).toContain(`mqtts://broker:8883: ${words}`);
    expect(described.message).toContain(`(${code})`);
    // Only the chain failures are about the CA; a name or date failure must not blame it.
    if (['ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'].includes(code)) expect(described.message).not.toContain('not signed by');
  });

  it('names the system CAs when mqtt.tls.ca is not set', () => {
    const described = describeError(tlsError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), { ...SETTINGS, tls: { ...SETTINGS.tls, caFile: null } });
    expect(described.message).toContain('not signed by a CA this system trusts; set mqtt.tls.ca');
  });

  it('an unknown code that looks like an inherited property is not a certificate failure', () => {
    expect(describeError(tlsError('constructor', 'odd'), SETTINGS).code).toBe('MQTT_CONNECT_FAILED');
  });

  it('never repeats the password of a broker URL (#18: it showed in the log of a failed connect)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const described = describeError(refused, { ...SETTINGS, url: 'mqtt://user:secret@127.0.0.1:1' });
    expect(described.message).toBe('mqtt://127.0.0.1:1: cannot connect to the broker: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)');
  });
});
