// iothinx-sim's Modbus RTU master in a loop, the counterpart of bench/c/rtu-master.c, so that
// bench/serial.mjs measures both masters the same way: its own process, its own open of the port.
//
//   node bench/lib/rtu-master-loop.mjs [--transport=default|tty|serialport] [--inter-frame=default|MS]
//                                      PATH BAUD SECONDS
//
// Opens PATH at BAUD, 8N1 (RS-485 2-wire, no echo), and for SECONDS polls slave 1 back to back:
// FC3 read holding registers, 10 registers at address 0, the next transaction asked for as soon
// as the previous one has finished. Response timeout 1 s, no retries. The master keeps its own
// line timing (t3.5 of silence before each request), as it does in the emulator, unless
// --inter-frame=MS sets interFrameDelayMs (0: send as soon as the answer is in, as libmodbus does).
//
// --transport (or env RTU_TRANSPORT): default = createTransport (what the emulator uses),
// tty = TtyTransport (stty + Node's TTY stream), serialport = SerialPortTransport.
// Env RTU_MASTER_DIST: the built tree to load instead of ../../dist/ (e.g. a scratch build).
//
// Prints one JSON line on stdout, as rtu-master.c does:
//   {"polls": N, "seconds": S, "pollsPerSecond": X, "errors": E}
// polls: transactions that returned the 10 registers; errors: every other one.
// Exit status: 0 when it ran (even with errors), 1 on bad usage or when dist/serial is missing,
// 2 when the port did not open.
import { pathToFileURL } from 'node:url';
import { pollLoop } from './poll-loop.mjs';

const options = { transport: process.env.RTU_TRANSPORT ?? 'default', 'inter-frame': process.env.RTU_INTER_FRAME ?? 'default' };
const positional = [];
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=(.*)$/.exec(arg);
  if (m && m[1] in options) options[m[1]] = m[2];
  else positional.push(arg);
}
const interFrameDelayMs = options['inter-frame'] === 'default' ? null : Number(options['inter-frame']);
const [path, baudArg, secondsArg] = positional;
const baudRate = Number(baudArg);
const seconds = Number(secondsArg);
const transports = ['default', 'tty', 'serialport'];
if (!path || !(baudRate > 0) || !(seconds > 0) || !transports.includes(options.transport) || !(interFrameDelayMs === null || interFrameDelayMs >= 0)) {
  console.error('usage: node bench/lib/rtu-master-loop.mjs [--transport=default|tty|serialport] [--inter-frame=default|MS] PATH BAUD SECONDS');
  process.exit(1);
}

// The one place that knows the built master's module layout.
async function loadMaster() {
  const dist = process.env.RTU_MASTER_DIST ? pathToFileURL(`${process.env.RTU_MASTER_DIST.replace(/\/$/, '')}/`) : new URL('../../dist/', import.meta.url);
  const transportModule = { default: 'serial/transport-factory.js', tty: 'serial/tty-transport.js', serialport: 'serial/serialport-transport.js' }[options.transport];
  try {
    const [transports, { RtuMaster }, { RealClock }] = await Promise.all([
      import(new URL(transportModule, dist).href),
      import(new URL('serial/master.js', dist).href),
      import(new URL('device/clock.js', dist).href),
    ]);
    const createTransport = {
      default: transports.createTransport,
      tty: (p, line) => new transports.TtyTransport(p, line),
      serialport: (p, line) => new transports.SerialPortTransport(p, line),
    }[options.transport];
    return { createTransport, RtuMaster, RealClock };
  } catch (err) {
    console.error(`rtu-master-loop: cannot load the RTU master from ${dist.pathname} (${err.message}); run npm run build first`);
    process.exit(1);
  }
}

const { createTransport, RtuMaster, RealClock } = await loadMaster();
const settings = { interface: 'rs485-2w', baudRate, parity: 'none', dataBits: 8, stopBits: 1 };
const transport = createTransport(path, settings);
try {
  await transport.open();
} catch (err) {
  console.error(`rtu-master-loop: open ${path}: ${err.message}`);
  process.exit(2);
}
const master = new RtuMaster(transport, new RealClock(), { settings, responseTimeoutMs: 1000, retries: 0, interFrameDelayMs });
const request = Buffer.from([3, 0, 0, 0, 10]);

const result = await pollLoop('rtu-master-loop', seconds, async () => {
  const answer = await master.transact(1, request);
  // A good answer: function 3, byte count 20, 10 registers.
  if (answer.ok && answer.pdu.length === 22 && answer.pdu[0] === 3 && answer.pdu[1] === 20) return null;
  return answer.ok ? `unexpected answer ${answer.pdu.toString('hex')}` : `${answer.kind}: ${answer.detail}`;
});
await transport.close();
console.log(JSON.stringify(result));
