// SNMP load generator for bench/snmp.mjs: one UDP socket, K SNMPv2c GetRequests for one OID in
// flight, each answer replaced by a new request at once, for S seconds after W unmeasured seconds.
// Prints one JSON line: responses, seconds, rps, p50/p99 latency (us), errors, lost; answered (all
// good answers, warm-up included: what the agent's CPU time is divided by) and cpu_ms (this
// process's own CPU time while measuring: a manager near 1000 ms a second would be what limits).
//
//   node bench/lib/snmp-load.mjs -h 127.0.0.1 -p 161 [-k 16] [-d 3] [-w 0.5] [-c public] [-o 1.3.6.1.2.1.1.5.0]
//
// The request is hand-encoded BER (43 bytes for sysName.0), the same bytes for every agent except
// its request-id, a 4-byte INTEGER counting up. A response counts when it is a Response-PDU with
// that request-id, error-status 0 and a value that is not an exception (noSuchObject ...);
// anything else is an error. A request unanswered after LOST_MS is counted lost and replaced, so
// a dropped datagram (UDP, full socket buffer) does not shrink the window for good.
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', short: 'h', default: '127.0.0.1' },
    port: { type: 'string', short: 'p' },
    inflight: { type: 'string', short: 'k', default: '16' },
    duration: { type: 'string', short: 'd', default: '3' },
    warmup: { type: 'string', short: 'w', default: '0.5' },
    community: { type: 'string', short: 'c', default: 'public' },
    oid: { type: 'string', short: 'o', default: '1.3.6.1.2.1.1.5.0' },
  },
});
if (!values.port) throw new Error('-p PORT is required');
const K = Math.max(1, Number(values.inflight));
const DURATION_MS = Number(values.duration) * 1000;
const WARMUP_MS = Number(values.warmup) * 1000;
const LOST_MS = 1000;

// --- BER --------------------------------------------------------------------------------------
function tlv(tag, content) {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}
function oidBytes(oid) {
  const parts = oid.split('.').map(Number);
  const out = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const bytes = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

// SEQUENCE { version 1 (v2c), community, GetRequest-PDU [0] { request-id (4 bytes), 0, 0,
// varbinds { { oid, NULL } } } }; the request-id's 4 value bytes sit at a fixed offset.
const varbinds = tlv(0x30, tlv(0x30, Buffer.concat([tlv(0x06, oidBytes(values.oid)), Buffer.from([0x05, 0x00])])));
const pdu = tlv(0xa0, Buffer.concat([Buffer.from([0x02, 0x04, 0, 0, 0, 0, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]), varbinds]));
const template = tlv(0x30, Buffer.concat([Buffer.from([0x02, 0x01, 0x01]), tlv(0x04, Buffer.from(values.community)), pdu]));
// The PDU ends the message; its content starts with the request-id TLV (02 04 xx xx xx xx).
const ridOffset = header(template, template.length - pdu.length)[1] + 2;

/** Reads a TLV header at `at`: [tag, content start, content length]. */
function header(buf, at) {
  const tag = buf[at];
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  return [tag, start, len];
}
function int(buf, start, len) {
  let v = buf[start] & 0x80 ? -1 : 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[start + i];
  return v;
}

/** { rid, ok } of a Response-PDU (ok: no error status, no exception value), or null if unreadable. */
function readResponse(buf) {
  try {
    let [, at] = header(buf, 0); // message SEQUENCE
    let [, s, l] = header(buf, at); // version
    at = s + l;
    [, s, l] = header(buf, at); // community
    at = s + l;
    const [pduTag, pduStart] = header(buf, at);
    if (pduTag !== 0xa2) return null;
    [, s, l] = header(buf, pduStart);
    const rid = int(buf, s, l);
    at = s + l;
    [, s, l] = header(buf, at);
    if (int(buf, s, l) !== 0) return { rid, ok: false }; // error-status
    at = s + l;
    [, s, l] = header(buf, at); // error-index
    at = s + l;
    [, at] = header(buf, at); // varbind list
    [, at] = header(buf, at); // varbind
    [, s, l] = header(buf, at); // name
    const [valueTag] = header(buf, s + l);
    return { rid, ok: !(valueTag >= 0x80 && valueTag <= 0x82) };
  } catch {
    return null;
  }
}

// --- load -------------------------------------------------------------------------------------
const socket = createSocket('udp4');
const pending = new Map(); // request-id -> send time (ns)
let nextId = 1;
let measuring = false;
let stopped = false;
let responses = 0;
let answered = 0;
let errors = 0;
let lost = 0;
const latencies = [];

function send() {
  const id = nextId;
  nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
  const buf = Buffer.from(template);
  buf.writeUInt32BE(id, ridOffset);
  pending.set(id, process.hrtime.bigint());
  socket.send(buf);
}

socket.on('message', (buf) => {
  const now = process.hrtime.bigint();
  const answer = readResponse(buf);
  const sentAt = answer && pending.get(answer.rid);
  // Unreadable, or a late answer to a request already counted lost (its slot was refilled).
  if (sentAt === undefined || sentAt === null) {
    if (measuring) errors++;
    return;
  }
  pending.delete(answer.rid);
  if (answer.ok) answered++;
  if (measuring) {
    if (answer.ok) {
      responses++;
      latencies.push(Number(now - sentAt) / 1000);
    } else errors++;
  }
  if (!stopped) send();
});

await new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.connect(Number(values.port), values.host, () => {
    socket.off('error', reject);
    resolve();
  });
});
socket.on('error', () => {
  if (measuring) errors++;
});

const lostTimer = setInterval(() => {
  const limit = process.hrtime.bigint() - BigInt(LOST_MS) * 1_000_000n;
  for (const [id, at] of pending) {
    if (at > limit) break; // insertion order is send order
    pending.delete(id);
    if (measuring) lost++;
    if (!stopped) send();
  }
}, 100);

for (let i = 0; i < K; i++) send();
await new Promise((r) => setTimeout(r, WARMUP_MS));
measuring = true;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
await new Promise((r) => setTimeout(r, DURATION_MS));
measuring = false;
const cpu = process.cpuUsage(cpuStart);
stopped = true;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
clearInterval(lostTimer);
socket.close();

latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : null);
console.log(JSON.stringify({ inflight: K, responses, seconds, rps: responses / seconds, p50_us: pct(0.5), p99_us: pct(0.99), errors, lost, answered, cpu_ms: (cpu.user + cpu.system) / 1000, requestBytes: template.length }));
