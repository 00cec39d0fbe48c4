/**
 * Two connected in-memory streams: what one side writes, the other reads. A fleet's devices reach
 * the fleet's own embedded broker this way instead of through a loopback TCP socket each
 * (src/fleet/fleet.ts): the MQTT bytes are the same, the kernel is left out. With 1,000 devices
 * publishing ~6,000 messages a second, the socket writes and reads alone were a fifth of the
 * process's CPU (bench/fleet.mjs, issue #16). (Node 22 has stream.duplexPair; this is Node 20.)
 *
 * Back-pressure holds as on a socket: a write is acknowledged once the other side has room in its
 * read buffer, so a side that stops reading stops its peer's writes instead of queuing without end.
 */
import { Duplex } from 'node:stream';

class Side extends Duplex {
  peer!: Side;
  /** A write waiting for the peer to read (its callback), while the peer's buffer is full. */
  private blocked: (() => void) | null = null;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.push(chunk)) callback();
    else this.blocked = () => callback();
  }

  override _read(): void {
    // The peer's write that filled this buffer may go on now.
    const blocked = this.peer.blocked;
    this.peer.blocked = null;
    blocked?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // As a socket's peer sees a reset: the other side ends and closes too. A write held for room
    // is dropped with this side (Node errors the writes still queued).
    this.blocked = null;
    if (!this.peer.destroyed) {
      this.peer.push(null);
      this.peer.destroy();
    }
    callback(error);
  }
}

export function streamPair(): [Duplex, Duplex] {
  const a = new Side();
  const b = new Side();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
