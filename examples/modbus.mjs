// A bare Modbus/TCP client, one request per connection: the SCADA side of the examples.
import { connect } from 'node:net';

/** Sends one PDU (unit 1) and resolves with the reply's PDU. */
export function modbusRequest({ host, port }, pdu) {
  return new Promise((resolve, reject) => {
    const mbap = Buffer.from([0, 1, 0, 0, 0, pdu.length + 1, 1]);
    const socket = connect(port, host, () => socket.write(Buffer.concat([mbap, pdu])));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 6 && data.length >= 6 + data.readUInt16BE(4)) {
        socket.end();
        resolve(data.subarray(7));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before a reply')));
  });
}

const u16 = (n) => [n >> 8, n & 0xff];

/** FC 2: one discrete input. */
export async function readDiscreteInput(device, address) {
  const reply = await modbusRequest(device, Buffer.from([2, ...u16(address), 0, 1]));
  return reply[2] & 1;
}

/** FC 5: one coil on or off. */
export function writeCoil(device, address, on) {
  return modbusRequest(device, Buffer.from([5, ...u16(address), on ? 0xff : 0, 0]));
}
