/**
 * A bound on the size of the MQTT packets one connection may send to the embedded broker (#14
 * point 11: aedes 1.2 has no such option, and two 200 MB PUBLISH packets took the process to
 * 716 MB). The gate reads each packet's fixed header as the bytes go by (MQTT 3.1.1 §2.2: one
 * type byte, then the Remaining Length in 1 to 4 bytes of 7 bits each) and skips its body by
 * count, so it never holds a byte itself. A packet whose header announces more than the limit
 * ends the connection before its body is read: aedes' parser never buffers it.
 *
 *   socket ──data──► PacketSizeGate (fixed header: type, remaining length; body skipped by count)
 *      ▲                 │ too big: onTooBig(size), destroy (socket closed, nothing answered)
 *      │                 ▼
 *      └──write─── aedes client (reads the gate as its connection; writes pass straight through)
 */
import { Duplex } from 'node:stream';

/** What the gate needs of the stream it guards (a net.Socket or tls.TLSSocket). */
export interface GuardedStream extends Duplex {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

export class PacketSizeGate extends Duplex {
  /** The peer, copied from the socket (aedes and the broker's checks read it off the connection). */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** 'type': the next byte starts a packet; 'length': inside the Remaining Length; 'body': skipping. */
  private state: 'type' | 'length' | 'body' = 'type';
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(
    private readonly socket: GuardedStream,
    private readonly maxPacketBytes: number,
    private readonly onTooBig: (announcedBytes: number) => void,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.emit('socketDrain'));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) done();
    else this.once('socketDrain', () => done());
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    // mqtt-packet writes a packet as several small chunks inside cork(): one syscall for them all.
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) done();
    else this.once('socketDrain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.socket.destroy();
    done(error);
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - at);
        at += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      if (this.state === 'type') {
        at += 1;
        this.state = 'length';
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      // §2.2.3 Remaining Length: least significant 7 bits first, bit 7 = more bytes follow.
      const byte = chunk[at]!;
      at += 1;
      this.lengthBytes += 1;
      this.remaining += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        // [MQTT-2.2.3] at most four bytes: a fifth is a malformed packet; aedes' parser would
        // refuse it too, the gate does not wait for it to say so.
        if (this.lengthBytes === 4) {
          this.destroy(new Error('malformed MQTT packet: remaining length over four bytes'));
          return;
        }
        continue;
      }
      const size = 1 + this.lengthBytes + this.remaining;
      if (size > this.maxPacketBytes) {
        this.onTooBig(size);
        this.destroy();
        return;
      }
      this.state = this.remaining === 0 ? 'type' : 'body';
    }
    if (!this.push(chunk)) this.socket.pause();
  }
}
