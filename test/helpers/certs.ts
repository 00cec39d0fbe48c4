/**
 * Test certificates made with the openssl CLI in a fresh temp dir: a CA, a server certificate
 * it signs (for localhost and 127.0.0.1), and a second, unrelated CA with its own server
 * certificate (one the first CA does not trust), a client certificate the first CA signs, and a
 * server certificate the first CA signs for another host name (other.example only). P-256 keys, valid for two days.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertSet {
  dir: string;
  /** Paths. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  rogueCaCert: string;
  rogueServerCert: string;
  rogueServerKey: string;
  /** A client certificate the first CA signs. */
  clientCert: string;
  clientKey: string;
  /** A server certificate the first CA signs for DNS:other.example only (not localhost or 127.0.0.1). */
  otherHostCert: string;
  otherHostKey: string;
  read(path: string): Promise<Buffer>;
  remove(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

async function makeLeaf(dir: string, ca: string, name: string, ext: string): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost']);
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext]);
}

export async function makeCerts(): Promise<CertSet> {
  const dir = await mkdtemp(join(tmpdir(), 'iothinx-certs-'));
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  await makeCa(dir, 'ca');
  await writeFile(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  await makeLeaf(dir, 'ca', 'server', 'san.ext');
  await makeLeaf(dir, 'ca', 'client', 'client.ext');
  await writeFile(join(dir, 'other.ext'), 'subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  await makeLeaf(dir, 'ca', 'other-host', 'other.ext');
  await makeCa(dir, 'rogue-ca');
  await makeLeaf(dir, 'rogue-ca', 'rogue-server', 'san.ext');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    rogueCaCert: join(dir, 'rogue-ca.crt'),
    rogueServerCert: join(dir, 'rogue-server.crt'),
    rogueServerKey: join(dir, 'rogue-server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherHostCert: join(dir, 'other-host.crt'),
    otherHostKey: join(dir, 'other-host.key'),
    read: (path) => readFile(path),
    remove: () => (process.env.IOTHINX_KEEP_TMP ? Promise.resolve() : rm(dir, { recursive: true, force: true })),
  };
}
