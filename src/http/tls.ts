/**
 * The HTTPS certificate. The real device serves a self-signed certificate (reference §6; HACK
 * lists a certificate export); the emulator does the same unless given one:
 *
 *   cert + key files given ─► read, check they parse and belong together ─► use (errors name the file)
 *   else data dir ─► <dataDir>/tls/{cert,key}.pem valid? ─► reuse (same fingerprint across restarts)
 *                                      └─ no ─► generate, write atomically (key 0600) ─► use
 *   else ─► generate in memory (a new certificate every start)
 *
 * Generated: CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, ECDSA P-256, SHA-256, valid
 * for 10 years from a day before now. ECDSA, not RSA: an RSA 2048 key took 200-860 ms to find
 * here (a random prime search), most of a default start, where P-256 takes about a millisecond;
 * every TLS 1.2 client in use speaks ECDHE-ECDSA. The real device's key type is not documented;
 * users who need RSA give their own files.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Selfsigned from 'selfsigned';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../config/atomic-write.js';
import { SimError } from '../errors.js';

export interface CertificateOptions {
  /** PEM certificate (chain) file; give it with keyFile, or neither. */
  certFile?: string | null;
  /** PEM private key file, unencrypted. */
  keyFile?: string | null;
  /** Where a generated certificate is kept (`<dataDir>/tls/`); without it, one is made per start. */
  dataDir?: string | null;
  logger?: Logger;
}

export interface Certificate {
  cert: string;
  key: string;
  /** `file`: the user's; `stored`: reused from the data dir; `created`: generated and stored; `memory`: generated, not stored. */
  source: 'file' | 'stored' | 'created' | 'memory';
  /** SHA-256 fingerprint, colon-separated hex, as browsers show it. */
  fingerprint256: string;
  validTo: Date;
}

export const TLS_DIR = 'tls';
export const VALIDITY_YEARS = 10;

function invalid(file: string, message: string, cause?: unknown): SimError {
  return new SimError('TLS_CERT_INVALID', `${file}: ${message}`, { cause, context: { file } });
}

async function read(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw invalid(file, `cannot read the HTTPS ${what}: ${reason}`, error);
  }
}

/** Parses a pair and checks the key is the certificate's; throws TLS_CERT_INVALID naming the file at fault. */
function check(cert: string, key: string, certFile: string, keyFile: string): X509Certificate {
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw invalid(certFile, 'not a PEM certificate', error);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw invalid(keyFile, 'not an unencrypted PEM private key', error);
  }
  if (!x509.checkPrivateKey(privateKey)) throw invalid(keyFile, `not the private key of the certificate in ${certFile}`);
  return x509;
}

function result(cert: string, key: string, x509: X509Certificate, source: Certificate['source']): Certificate {
  return { cert, key, source, fingerprint256: x509.fingerprint256, validTo: new Date(x509.validTo) };
}

export async function generateCertificate(now = new Date()): Promise<{ cert: string; key: string }> {
  // Loaded on demand, through require so the CLI bundle leaves it out (build/bundle.mjs): most
  // starts never generate a certificate, and the library and its ASN.1 stack are a third of a MB.
  const { generate } = createRequire(import.meta.url)('selfsigned') as typeof Selfsigned;
  const notBeforeDate = new Date(now.getTime() - 86_400_000);
  const notAfterDate = new Date(now);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + VALIDITY_YEARS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      // No keyEncipherment: an ECDSA key only signs (RFC 5480 §3).
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The stored pair if it is whole, valid and not expired; undefined otherwise (the caller makes a new one). */
async function stored(certFile: string, keyFile: string, logger: Logger | undefined): Promise<Certificate | undefined> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch {
    return undefined;
  }
  try {
    const x509 = check(cert, key, certFile, keyFile);
    if (new Date(x509.validTo).getTime() <= Date.now()) {
      logger?.warn({ file: certFile, validTo: x509.validTo }, 'the stored HTTPS certificate has expired; making a new one');
      return undefined;
    }
    return result(cert, key, x509, 'stored');
  } catch (error) {
    logger?.warn({ file: certFile, err: error }, 'the stored HTTPS certificate is unusable; making a new one');
    return undefined;
  }
}

export async function loadOrCreateCertificate({ certFile, keyFile, dataDir, logger }: CertificateOptions = {}): Promise<Certificate> {
  if (certFile || keyFile) {
    if (!certFile || !keyFile) {
      throw new SimError('TLS_CERT_INVALID', `HTTPS needs both a certificate and a key file; only the ${certFile ? `certificate (${certFile})` : `key (${keyFile})`} was given`);
    }
    const [cert, key] = [await read(certFile, 'certificate'), await read(keyFile, 'key')];
    return result(cert, key, check(cert, key, certFile, keyFile), 'file');
  }
  if (!dataDir) {
    const { cert, key } = await generateCertificate();
    logger?.info('generated a self-signed HTTPS certificate in memory (no data dir to keep it in)');
    return result(cert, key, new X509Certificate(cert), 'memory');
  }
  const dir = join(dataDir, TLS_DIR);
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const reused = await stored(files.cert, files.key, logger);
  if (reused) return reused;
  const { cert, key } = await generateCertificate();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first: a crash between the two writes leaves no certificate or one that does not match, so the next start makes a new pair.
  await writeFileAtomic(files.key, key, { mode: 0o600 });
  await writeFileAtomic(files.cert, cert);
  const x509 = new X509Certificate(cert);
  logger?.info({ file: files.cert, fingerprint256: x509.fingerprint256 }, 'generated a self-signed HTTPS certificate');
  return result(cert, key, x509, 'created');
}
