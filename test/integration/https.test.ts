/**
 * HTTPS: the self-signed certificate kept in a data dir, user certificate files, the clear
 * error for a bad one, TLS 1.2 as the floor, and listenHttps' quick close. Real sockets; every
 * test gets its own temp dir (kept with IOTHINX_KEEP_TEMP=1).
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Agent, request, type RequestOptions } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import express from 'express';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Emulator } from '../../src/app/emulator.js';
import { isSimError } from '../../src/errors.js';
import { listenHttps, loadOrCreateCertificate, type Certificate } from '../../src/http/index.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await cleanupProcesses();
});

/** A device with HTTPS only, on `certificate`, built through src/app; close() stops it. */
async function serve(certificate: Certificate): Promise<Served> {
  const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], http: { https: { enabled: true } } });
  const emulator = await Emulator.start({ profile, clock: new ManualClock(), logger: pino({ level: 'silent' }), https: { host: '127.0.0.1', port: 0 }, certificate });
  const close = () => emulator.stop();
  cleanup.push(close);
  return { address: emulator.addresses.https!, close };
}

interface Served {
  address: string;
  close(): Promise<void>;
}

interface Got {
  status: number;
  body: string;
  peer: { fingerprint256: string; subject: Record<string, unknown> };
}

function get(listener: Served, path: string, options: RequestOptions): Promise<Got> {
  const port = Number(listener.address.split(':')[1]);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, ...options }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer: { fingerprint256: peer.fingerprint256, subject: { ...peer.subject } } }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function expectTlsError(promise: Promise<unknown>, file: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSimError(error, 'TLS_CERT_INVALID'), String(error)).toBe(true);
  expect((error as Error).message).toContain(file);
  expect((error as Error).message).toMatch(message);
}

describe('self-signed certificate', () => {
  it('is created in <dataDir>/tls on first start (key 0600) and reused on the next (same fingerprint)', async () => {
    const dataDir = await tempDir();
    const first = await loadOrCreateCertificate({ dataDir });
    expect(first.source).toBe('created');
    const certFile = join(dataDir, 'tls', 'cert.pem');
    const keyFile = join(dataDir, 'tls', 'key.pem');
    expect(await readFile(certFile, 'utf8')).toBe(first.cert);
    expect(await readFile(keyFile, 'utf8')).toBe(first.key);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const x509 = new X509Certificate(first.cert);
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
    const years = (new Date(x509.validTo).getTime() - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);

    const second = await loadOrCreateCertificate({ dataDir });
    expect(second.source).toBe('stored');
    expect(second.fingerprint256).toBe(first.fingerprint256);
    expect(second.key).toBe(first.key);
  });

  it('is replaced when the stored pair is broken', async () => {
    const dataDir = await tempDir();
    const first = await loadOrCreateCertificate({ dataDir });
    await writeFile(join(dataDir, 'tls', 'cert.pem'), 'not a certificate');
    const second = await loadOrCreateCertificate({ dataDir });
    expect(second.source).toBe('created');
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
  });

  it('is made in memory, anew each time, without a data dir', async () => {
    const [a, b] = [await loadOrCreateCertificate(), await loadOrCreateCertificate()];
    expect([a.source, b.source]).toEqual(['memory', 'memory']);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  it('serves /sim/v1/health over HTTPS to a client that trusts it', async () => {
    const certificate = await loadOrCreateCertificate({ dataDir: await tempDir() });
    const listener = await serve(certificate);
    const got = await get(listener, '/sim/v1/health', { ca: certificate.cert });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ status: 'ok' });
    expect(got.peer.fingerprint256).toBe(certificate.fingerprint256);
    // Untrusted: the client refuses it, as a browser warns.
    await expect(get(listener, '/sim/v1/health', {})).rejects.toThrow(/self[- ]signed/i);
  });
});

describe('TLS versions', () => {
  it('refuses TLS 1.1 and accepts TLS 1.2', async () => {
    const certificate = await loadOrCreateCertificate();
    // The listener alone (the server object is needed to see its side of the refusal).
    const app = express().get('/sim/v1/health', (_req, res) => void res.json({ status: 'ok' }));
    const listener = await listenHttps(app, '127.0.0.1', 0, certificate);
    cleanup.push(() => listener.close());
    const refused = once(listener.server, 'tlsClientError') as Promise<[NodeJS.ErrnoException]>;
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
    await expect(get(listener, '/sim/v1/health', { ca: certificate.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(
      /protocol version|unsupported protocol/,
    );
    const [serverError] = await refused;
    expect(serverError.code).toBe('ERR_SSL_UNSUPPORTED_PROTOCOL');
    expect((await get(listener, '/sim/v1/health', { ca: certificate.cert, maxVersion: 'TLSv1.2' })).status).toBe(200);
  });
});

describe('user certificate', () => {
  async function userPair(dir: string, cn = 'device.example') {
    const pems = await generate([{ name: 'commonName', value: cn }], {
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const certFile = join(dir, `${cn}.crt`);
    const keyFile = join(dir, `${cn}.key`);
    await writeFile(certFile, pems.cert);
    await writeFile(keyFile, pems.private);
    return { certFile, keyFile, cert: pems.cert, key: pems.private };
  }

  it('is used when given, and the data dir is left alone', async () => {
    const dir = await tempDir();
    const pair = await userPair(dir);
    const certificate = await loadOrCreateCertificate({ certFile: pair.certFile, keyFile: pair.keyFile, dataDir: dir });
    expect(certificate.source).toBe('file');
    expect(certificate.cert).toBe(pair.cert);
    await expect(stat(join(dir, 'tls'))).rejects.toThrow(/ENOENT/);
    const listener = await serve(certificate);
    const got = await get(listener, '/sim/v1/health', { ca: pair.cert });
    expect(got.status).toBe(200);
    expect(got.peer.subject).toMatchObject({ CN: 'device.example' });
  });

  it('fails with TLS_CERT_INVALID naming the file when it is missing, not PEM, or not a pair', async () => {
    const dir = await tempDir();
    const pair = await userPair(dir);
    const other = await userPair(dir, 'other.example');
    const missing = join(dir, 'missing.crt');
    await expectTlsError(loadOrCreateCertificate({ certFile: missing, keyFile: pair.keyFile }), missing, /no such file/);
    await expectTlsError(loadOrCreateCertificate({ certFile: pair.certFile, keyFile: join(dir, 'missing.key') }), 'missing.key', /no such file/);
    await expectTlsError(loadOrCreateCertificate({ certFile: pair.certFile }), pair.certFile, /both a certificate and a key/);
    const garbage = join(dir, 'garbage.crt');
    await writeFile(garbage, 'hello');
    await expectTlsError(loadOrCreateCertificate({ certFile: garbage, keyFile: pair.keyFile }), garbage, /not a PEM certificate/);
    await expectTlsError(loadOrCreateCertificate({ certFile: pair.certFile, keyFile: pair.certFile }), pair.certFile, /not an unencrypted PEM private key/);
    await expectTlsError(loadOrCreateCertificate({ certFile: pair.certFile, keyFile: other.keyFile }), other.keyFile, /not the private key of the certificate/);
  });
});

describe('listenHttps close', () => {
  it('closes idle keep-alive, handshaken-but-silent and mid-handshake connections', async () => {
    const certificate = await loadOrCreateCertificate();
    const listener = await serve(certificate);
    const port = Number(listener.address.split(':')[1]);
    const agent = new Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    expect((await get(listener, '/sim/v1/health', { ca: certificate.cert, agent })).status).toBe(200);
    // A preconnect: TLS done, no request.
    const silent = tlsConnect({ host: '127.0.0.1', port, ca: certificate.cert });
    await once(silent, 'secureConnect');
    // A client that never starts the handshake (cut after the grace period).
    const raw = netConnect({ host: '127.0.0.1', port });
    await once(raw, 'connect');
    const closed = [once(silent, 'close'), once(raw, 'close')];
    await listener.close();
    await Promise.all(closed);
  });
});
