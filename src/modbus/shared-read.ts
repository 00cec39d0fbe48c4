/**
 * Reads an accepted socket into one buffer that every connection shares (node:net's `onread`),
 * instead of a new 64 KiB allocation per read pushed through a Readable stream and its 'data'
 * event. Measured with bench/modbus.mjs's bare server (FC3 x10, one request in flight per
 * connection, interleaved with the libmodbus server in the same run, loaded machine): 0.84x ->
 * 1.02x libmodbus at 16 connections, 0.56x -> 0.67x at 1. A poll loop's requests are a dozen
 * bytes; the allocation, the stream bookkeeping and the event were most of Node's own share.
 *
 * node:net offers `onread` only to the sockets it connects, not to those a server accepts, so the
 * accepted socket's handle moves to a new Socket made with it. `_handle` is not public API:
 * a socket without a plain TCP handle, or one that has read already, is served by 'data' events
 * as before. The chunk given to `onChunk` is valid only during the call: the next read overwrites it.
 */
import { Socket } from 'node:net';

/** Node's TCP reads are at most 64 KiB (its suggested read size). */
const READ_SIZE = 65_536;
const shared = Buffer.allocUnsafe(READ_SIZE);

interface HandleCarrier {
  _handle: object | null;
}

/** What node:net's Socket constructor takes besides the typed options (lib/net.js). */
interface HandleSocketOptions {
  handle: object;
  readable: true;
  writable: true;
  onread: { buffer: Uint8Array; callback(bytes: number, buffer: Uint8Array): boolean };
}

/**
 * Serves the reads of `socket` (just accepted, nothing read yet) to `onChunk` and returns the
 * socket to use from now on: a new one holding its handle, or `socket` itself on the fallback.
 */
export function readShared(socket: Socket, onChunk: (chunk: Buffer) => void): Socket {
  const carrier = socket as unknown as HandleCarrier;
  const handle = carrier._handle;
  if (socket.constructor !== Socket || handle === null || typeof handle !== 'object' || socket.bytesRead > 0 || socket.readableLength > 0) {
    socket.on('data', onChunk);
    return socket;
  }
  const options: HandleSocketOptions = {
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: shared,
      callback: (bytes) => {
        onChunk(shared.subarray(0, bytes));
        return true;
      },
    },
  };
  const served = new Socket(options as unknown as ConstructorParameters<typeof Socket>[0]);
  // The old socket lets go of the handle; destroying it then only settles its server's count.
  carrier._handle = null;
  socket.destroy();
  // Flowing, so that the peer's FIN still ends the socket ('end', then 'close').
  served.resume();
  return served;
}
