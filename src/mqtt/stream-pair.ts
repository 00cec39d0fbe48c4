/**
 * Two connected in-memory streams: what one side writes, the other reads. A fleet's devices reach
 * the fleet's own embedded broker this way instead of through a loopback TCP socket each
 * (src/fleet/fleet.ts): the MQTT bytes are the same, the kernel is left out. With 1,000 devices
 * publishing ~5,000 messages a second, the socket writes and reads alone were a fifth of the
 * process's CPU (bench/fleet.mjs, issue #16). (Node 22 has stream.duplexPair; this is Node 20.)
 *
 * Two things a socket gives for free are kept:
 * - Bytes cross in the event loop's check phase (setImmediate), never in the same turn, so other
 *   I/O (Modbus requests, HTTP, timers) runs between rounds. Handed over at once, as Node's streams
 *   do with process.nextTick, a fleet's first publications (~160 QoS 1 messages a device, each
 *   answered with a PUBACK) ran as one chain of ticks that held every other client off for
 *   seconds. It also gathers what one turn wrote into one chunk for the reader.
 * - Back-pressure: a write is acknowledged once the other side has room in its read buffer, so a
 *   side that stops reading stops its peer's writes instead of queuing without end.
 */
import { Duplex } from 'node:stream';

type Done = (error?: Error | null) => void;

class Side extends Duplex {
  peer!: Side;

  constructor() {
    // Not half-open, as a socket's end is: a side whose peer ended ends and closes too.
    super({ allowHalfOpen: false });
  }

  /** Written this turn, not yet handed to the peer. */
  private outgoing: Buffer[] = [];
  private scheduled = false;
  /** The peer's read buffer was full at the last hand-over: writes wait for it to read. */
  private peerFull = false;
  private blocked: Done[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Done): void {
    this.outgoing.push(chunk);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.handOver());
    }
    if (this.peerFull) this.blocked.push(callback);
    else callback();
  }

  private handOver(): void {
    this.scheduled = false;
    const chunks = this.outgoing;
    this.outgoing = [];
    if (this.destroyed || this.peer.destroyed || chunks.length === 0) return;
    this.peerFull = !this.peer.push(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  override _read(): void {
    // The peer may write again: its writes that waited for room go on now.
    const peer = this.peer;
    peer.peerFull = false;
    if (peer.blocked.length === 0) return;
    const blocked = peer.blocked;
    peer.blocked = [];
    for (const d of blocked) d();
  }

  override _final(callback: Done): void {
    // After what is still to be handed over: end() follows the last write's bytes.
    if (this.scheduled) {
      setImmediate(() => this._final(callback));
      return;
    }
    this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: Done): void {
    // As a socket's close reaches its peer: what was written still arrives (a broker's CONNACK
    // refusing a client, then the close), then the end; the peer, not half-open, then ends and
    // closes itself once its reader has seen it all.
    const chunks = this.outgoing;
    this.outgoing = [];
    this.blocked = [];
    if (!this.peer.destroyed) {
      if (chunks.length > 0) this.peer.push(Buffer.concat(chunks));
      this.peer.push(null);
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
