/**
 * A listener that cannot bind names its service and the flag that moves it (#18):
 *
 *   Modbus/TCP: 127.0.0.1:5020 is in use; choose another with --modbus HOST:PORT or --modbus 127.0.0.1:0
 *
 * The OS's error (EADDRINUSE, EACCES, EADDRNOTAVAIL), wherever it sits in the cause chain, carries
 * the address and port it refused and the call that failed: `listen` for TCP, `bind` for UDP (SNMP).
 * The command matches it against the listeners it asked for. It is a runtime failure: exit 1.
 */
import { SimError } from '../errors.js';
import type { ListenAddress } from './args.js';

export interface Listener {
  /** As the banner names it: `Modbus/TCP`, `HTTP`, `SNMP` ... */
  service: string;
  /** The flag that sets its address, e.g. `--modbus`. */
  flag: string;
  /** null: the service is off. */
  address: ListenAddress | null;
  udp?: boolean;
}

const REASONS = {
  EADDRINUSE: 'is in use',
  EACCES: 'is not allowed (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'is not an address of this host',
} as const;

export interface BindFailure {
  code: keyof typeof REASONS;
  address: string;
  port: number;
  udp: boolean;
}

function bindFailure(error: unknown): BindFailure | null {
  // The adapters wrap the OS's error (MQTT_BROKER_LISTEN_FAILED, SNMP_LISTEN_FAILED): follow `cause`.
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    const { code, port, address, syscall } = e as NodeJS.ErrnoException & { port?: unknown; address?: unknown };
    if (typeof code === 'string' && Object.hasOwn(REASONS, code) && typeof port === 'number') {
      return { code: code as keyof typeof REASONS, port, address: typeof address === 'string' ? address : '', udp: syscall === 'bind' };
    }
  }
  return null;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** `udp 127.0.0.1:161 is in use`: the address and why, for a message of its own. */
export function refused(failure: BindFailure): string {
  return `${failure.udp ? 'udp ' : ''}${hostPort(failure.address, failure.port)} ${REASONS[failure.code]}`;
}

/**
 * The error as CLI_LISTEN_FAILED naming the service and flag, or null when it is not a bind
 * failure. `unmatched` words one that none of `listeners` asked for (a fleet device's port).
 */
export function listenFailure(error: unknown, listeners: readonly Listener[], unmatched?: (failure: BindFailure) => string): SimError | null {
  const failure = bindFailure(error);
  if (!failure) return null;
  const candidates = listeners.filter((l) => l.address !== null && l.address.port === failure.port && Boolean(l.udp) === failure.udp);
  const listener = candidates.find((l) => l.address!.host === failure.address) ?? candidates[0];
  const reason = REASONS[failure.code];
  let message: string;
  if (listener) {
    const { host, port } = listener.address!;
    message = `${listener.service}: ${hostPort(host, port)} ${reason}; choose another with ${listener.flag} HOST:PORT or ${listener.flag} ${hostPort(host, 0)}`;
  } else if (unmatched) {
    message = unmatched(failure);
  } else {
    message = refused(failure);
  }
  return new SimError('CLI_LISTEN_FAILED', message, { cause: error, context: { ...failure, service: listener?.service ?? null } });
}
