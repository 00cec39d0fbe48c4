/**
 * #18: a bind failure names the listener the command asked for (src/cli/listen-error.ts), told
 * apart by port and by TCP (`listen`) or UDP (`bind`), wherever the OS's error sits in the cause chain.
 */
import { describe, expect, it } from 'vitest';
import { listenFailure, type Listener } from '../../src/cli/listen-error.js';
import { SimError } from '../../src/errors.js';

function osError(code: string, syscall: 'listen' | 'bind', address: string, port: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code} ${address}:${port}`), { code, syscall, address, port });
}

const LISTENERS: Listener[] = [
  { service: 'HTTP', flag: '--http', address: { host: '127.0.0.1', port: 8080 } },
  { service: 'Modbus/TCP', flag: '--modbus', address: { host: '0.0.0.0', port: 502 } },
  { service: 'SNMP', flag: '--snmp', address: { host: '::1', port: 8080 }, udp: true },
  { service: 'MQTT broker (embedded)', flag: '--broker', address: null },
];

describe('listenFailure', () => {
  it('names the service and flag of the port in use, TCP or UDP', () => {
    expect(listenFailure(osError('EADDRINUSE', 'listen', '127.0.0.1', 8080), LISTENERS)?.message).toBe(
      'HTTP: 127.0.0.1:8080 is in use; choose another with --http HOST:PORT or --http 127.0.0.1:0',
    );
    expect(listenFailure(osError('EADDRINUSE', 'bind', '::1', 8080), LISTENERS)?.message).toBe('SNMP: [::1]:8080 is in use; choose another with --snmp HOST:PORT or --snmp [::1]:0');
  });

  it('says why for a port not allowed, and follows the cause of an adapter’s error', () => {
    const wrapped = new SimError('SNMP_LISTEN_FAILED', 'SNMP agent: cannot listen', { cause: osError('EACCES', 'listen', '0.0.0.0', 502) });
    const failure = listenFailure(wrapped, LISTENERS);
    expect(failure?.code).toBe('CLI_LISTEN_FAILED');
    expect(failure?.message).toBe('Modbus/TCP: 0.0.0.0:502 is not allowed (a port below 1024 needs privileges); choose another with --modbus HOST:PORT or --modbus 0.0.0.0:0');
  });

  it('words a port no listener asked for with `unmatched`, or alone; anything else is not its business', () => {
    const other = osError('EADDRINUSE', 'listen', '127.0.0.1', 10_001);
    expect(listenFailure(other, LISTENERS)?.message).toBe('127.0.0.1:10001 is in use');
    expect(listenFailure(other, LISTENERS, () => 'a device port')?.message).toBe('a device port');
    expect(listenFailure(new Error('boom'), LISTENERS)).toBeNull();
    expect(listenFailure(Object.assign(new Error('x'), { code: 'ENOENT' }), LISTENERS)).toBeNull();
  });
});
