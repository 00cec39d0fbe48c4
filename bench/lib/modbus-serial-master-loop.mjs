// modbus-serial (the Node Modbus library a user of the emulator is likely to reach for, #18) as
// the RTU master in a loop: the counterpart of bench/c/rtu-master.c and rtu-master-loop.mjs, so
// bench/serial.mjs measures it the same way: its own process, its own open of the port.
//
//   node bench/lib/modbus-serial-master-loop.mjs PATH BAUD SECONDS
//
// Opens PATH at BAUD, 8N1, with connectRTUBuffered (modbus-serial's RTU port on serialport, which
// frames a reply by its expected length) and for SECONDS polls slave 1 back to back: FC3 read
// holding registers, 10 registers at address 0, the next request once the previous answer is in.
// Response timeout 1 s, no retries (modbus-serial has none of its own).
//
// Prints one JSON line on stdout, as rtu-master.c does:
//   {"polls": N, "seconds": S, "pollsPerSecond": X, "errors": E}
// polls: transactions that returned the 10 registers; errors: every other one.
// Exit status: 0 when it ran (even with errors), 1 on bad usage, 2 when the port did not open.
import ModbusRTU from 'modbus-serial';
import { pollLoop } from './poll-loop.mjs';

const [path, baudArg, secondsArg] = process.argv.slice(2);
const baudRate = Number(baudArg);
const seconds = Number(secondsArg);
if (!path || !(baudRate > 0) || !(seconds > 0)) {
  console.error('usage: node bench/lib/modbus-serial-master-loop.mjs PATH BAUD SECONDS');
  process.exit(1);
}

const master = new ModbusRTU();
try {
  await master.connectRTUBuffered(path, { baudRate, parity: 'none', dataBits: 8, stopBits: 1 });
} catch (err) {
  console.error(`modbus-serial-master-loop: open ${path}: ${err.message}`);
  process.exit(2);
}
master.setID(1);
master.setTimeout(1000);

const result = await pollLoop('modbus-serial-master-loop', seconds, async () => {
  try {
    const { data } = await master.readHoldingRegisters(0, 10);
    return data.length === 10 ? null : `${data.length} registers`;
  } catch (err) {
    return err.message;
  }
});
await new Promise((resolve) => master.close(resolve));
console.log(JSON.stringify(result));
