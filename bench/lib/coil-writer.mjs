// A Modbus/TCP client that only writes single coils (FC5), on a raw socket with Nagle off: the
// trigger of the MQTT latency benches, where a library's own queueing would be part of the figure.
import { once } from 'node:events';
import { connect } from 'node:net';

/** Connects to `address` (host:port); `writeCoil` sends one FC5 frame, unit 1; replies are drained unread. */
export async function coilWriter(address) {
  const i = address.lastIndexOf(':');
  const socket = connect(Number(address.slice(i + 1)), address.slice(0, i));
  socket.setNoDelay(true);
  await once(socket, 'connect');
  socket.on('data', () => {});
  let tid = 0;
  return {
    socket,
    writeCoil(coil, on) {
      const frame = Buffer.alloc(12);
      frame.writeUInt16BE((tid = (tid + 1) & 0xffff), 0);
      frame.writeUInt16BE(6, 4);
      frame.writeUInt8(1, 6);
      frame.writeUInt8(5, 7);
      frame.writeUInt16BE(coil, 8);
      frame.writeUInt16BE(on ? 0xff00 : 0x0000, 10);
      socket.write(frame);
    },
  };
}
