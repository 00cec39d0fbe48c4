/**
 * The HTTP(S) connection caps (#14 point 10): open connections of all peers together and of one
 * peer address, over every listener of one emulator (HTTP and HTTPS share one gate). A socket
 * past a cap is refused at accept, before a byte of it is read, and counted; one admitted is
 * released when it closes. Event streams are connections like any other and count toward both.
 *
 *   accept ─► total < maxConnections? ── no ─► destroy (http_connections)
 *              └► this peer < maxConnectionsPerHost? ── no ─► destroy (http_connections_per_host)
 *                   └► admitted; released on 'close'
 */
import type { Socket } from 'node:net';
import type { Limits } from '../config/limits.js';
import type { Refusals } from '../device/refusals.js';

/** `::ffff:127.0.0.1` and `127.0.0.1` are one peer. */
export function peerKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}

export class ConnectionGate {
  private total = 0;
  private readonly perHost = new Map<string, number>();

  constructor(
    private readonly limits: Pick<Limits['http'], 'maxConnections' | 'maxConnectionsPerHost'>,
    private readonly refusals?: Refusals,
  ) {}

  /** Admits the socket (and releases it when it closes), or counts the refusal and returns false. */
  admit(socket: Socket): boolean {
    if (this.total >= this.limits.maxConnections) {
      this.refusals?.count('http_connections');
      return false;
    }
    const host = peerKey(socket.remoteAddress);
    const open = this.perHost.get(host) ?? 0;
    if (open >= this.limits.maxConnectionsPerHost) {
      this.refusals?.count('http_connections_per_host');
      return false;
    }
    this.total += 1;
    this.perHost.set(host, open + 1);
    socket.once('close', () => {
      this.total -= 1;
      const left = (this.perHost.get(host) ?? 1) - 1;
      if (left > 0) this.perHost.set(host, left);
      else this.perHost.delete(host);
    });
    return true;
  }
}
