// The floor of bench/mqtt-mosquitto.mjs: the least a Node process can do between a Modbus FC5
// request and the MQTT message, so that the emulator's figure can be read against what the extra
// process hop costs on this machine, measured in the same run. No device, no mqtt.js: one
// pre-encoded MQTT 3.1.1 PUBLISH per FC5 frame (encoded at start for each coil and value; a QoS 1
// one gets its packet id patched in), written to the broker before the Modbus echo.
//
//   node fc5-relay.mjs BROKER_URL TOPIC_PREFIX [CA_FILE]
//   prints "listening 127.0.0.1:PORT" once connected to the broker (CONNACK) and listening;
//   coil 0 publishes to PREFIX/0 at QoS 0, coil 1 to PREFIX/1 at QoS 1 (PUBACKs are read and dropped).
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [url, prefix, caFile] = process.argv.slice(2);
const { protocol, hostname, port } = new URL(url);

const remaining = (n) => {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
};
const str = (s) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const packet = (first, body) => Buffer.concat([Buffer.from([first]), remaining(body.length), body]);

const broker =
  protocol === 'mqtts:'
    ? tlsConnect({ host: hostname, port: Number(port), ca: readFileSync(caFile), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', servername: 'localhost' })
    : netConnect(Number(port), hostname);
broker.setNoDelay(true);
broker.on('error', (error) => {
  console.error(`fc5-relay: broker: ${error.message}`);
  process.exit(1);
});
// CONNECT: protocol "MQTT" level 4, clean session, keep-alive 0, a client id of its own.
broker.write(packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 0]), str(`fc5-relay-${process.pid}`)])));

// Every PUBLISH encoded once, here: QoS 0 to PREFIX/0 and QoS 1 to PREFIX/1, for each value. A
// QoS 1 frame carries its packet id (MQTT 3.1.1 3.3.2.2) right after the topic, patched in place.
const payload = (on) => Buffer.from(`{"value":${on ? 1 : 0}}`);
const qos0 = [false, true].map((on) => packet(0x30, Buffer.concat([str(`${prefix}/0`), payload(on)])));
const qos1 = [false, true].map((on) => packet(0x32, Buffer.concat([str(`${prefix}/1`), Buffer.alloc(2), payload(on)])));
// Fixed header (1 byte + the remaining length's bytes) and the topic: where the packet id starts.
const idAt = qos1[0].length - 2 - payload(false).length;

let packetId = 0;
function publish(coil, on) {
  if (coil === 0) return broker.write(qos0[+on]);
  packetId = (packetId % 0xffff) + 1;
  // A write still queued holds its buffer: patch a copy then (the bench waits for each message, so
  // in practice the template itself).
  const frame = broker.writableLength > 0 ? Buffer.from(qos1[+on]) : qos1[+on];
  frame.writeUInt16BE(packetId, idAt);
  return broker.write(frame);
}

broker.once('data', (connack) => {
  if (connack[0] !== 0x20 || connack[3] !== 0) {
    console.error(`fc5-relay: the broker refused the connection (${connack.toString('hex')})`);
    process.exit(1);
  }
  broker.resume();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    // The bench sends one 12-byte FC5 frame at a time and waits for the message.
    socket.on('data', (frame) => {
      for (let at = 0; at + 12 <= frame.length; at += 12) {
        const request = frame.subarray(at, at + 12);
        publish(request.readUInt16BE(8), request.readUInt16BE(10) === 0xff00);
        socket.write(request);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening 127.0.0.1:${server.address().port}`));
});
