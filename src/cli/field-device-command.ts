/**
 * `iothinx-sim field-device`: one virtual field device answering as a Modbus RTU slave on a real
 * serial port or one end of a socat pty pair, so a tester can stand up slave -> 4510 -> MQTT
 * without hardware, or point any other RTU master (mbpoll, a PLC, a gateway) at it.
 */
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../config/atomic-write.js';
import { fieldDeviceFaultSchema, serialSchema } from '../config/sections.js';
import { RealClock } from '../device/clock.js';
import { SimError } from '../errors.js';
import { PortKeeper } from '../serial/port-keeper.js';
import { RtuSlave } from '../serial/rtu-slave.js';
import { createTransport } from '../serial/transport-factory.js';
import { FieldDevice, loadFieldDeviceFile } from '../sim/field-device.js';
import { deriveSeed, mulberry32 } from '../sim/random.js';
import { definitionFile } from '../app/field-devices.js';
import { parseAddress, parseFlags, usageError } from './args.js';
import { listenControl } from './field-device-control.js';
import { createLogger } from '../app/logger.js';

function usage(message: string): SimError {
  return usageError('field-device', `field-device: ${message}`);
}

function hostPort(value: string): [string, number] {
  const address = parseAddress('control', value, usage);
  if (!address) throw usage('--control: expected HOST:PORT');
  return [address.host, address.port];
}

function integer(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw usage(`--${flag}: expected a whole number, got "${value}"`);
  return Number(value);
}

/** `slow:200` -> { kind: 'slow', delayMs: 200 }; checked by the same schema as the API's. */
function parseFault(text: string | undefined) {
  if (text === undefined) return { kind: 'none' as const, count: null };
  const [kind, arg] = text.split(':');
  const raw = kind === 'slow' ? { kind, delayMs: Number(arg) } : kind === 'exception' ? { kind, exceptionCode: Number(arg) } : { kind };
  const parsed = fieldDeviceFaultSchema.safeParse(raw);
  if (!parsed.success) throw usage(`--fault: expected no-answer, slow:MS, crc, exception:CODE or garbage, got "${text}"`);
  return parsed.data;
}

export async function runFieldDevice(argv: string[]): Promise<void> {
  const values = parseFlags(argv, {
    port: { type: 'string' },
    profile: { type: 'string' },
    'slave-id': { type: 'string' },
    baud: { type: 'string' },
    parity: { type: 'string', default: 'none' },
    'data-bits': { type: 'string', default: '8' },
    'stop-bits': { type: 'string', default: '1' },
    fault: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'ready-file': { type: 'string' },
    'log-level': { type: 'string' },
    control: { type: 'string' },
  }, usage);
  if (!values.port) throw usage('--port is required (a serial device or one end of a pty pair)');
  if (!values.profile) throw usage('--profile is required (power-meter, temperature-transmitter, vfd or a YAML file)');
  const line = serialSchema.safeParse({ baudRate: integer('baud', values.baud, 9600), parity: values.parity, dataBits: Number(values['data-bits']), stopBits: Number(values['stop-bits']) });
  if (!line.success) throw usage(`line settings: ${line.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const fault = parseFault(values.fault);
  const seed = integer('seed', values.seed, 1);
  const definition = loadFieldDeviceFile(definitionFile(values.profile, `${process.cwd()}/field-device`));
  const slaveId = integer('slave-id', values['slave-id'], definition.defaultSlaveId);
  if (slaveId < 1 || slaveId > 247) throw usage(`--slave-id: 1..247, got ${slaveId}`);

  const logger = createLogger(values['log-level']);
  const readyFile = values['ready-file'];
  if (readyFile) await rm(readyFile, { force: true });
  const clock = new RealClock();
  const device = new FieldDevice(definition, clock, deriveSeed(seed, 'field-device'));
  const transport = createTransport(values.port, line.data);
  const keeper = new PortKeeper(transport, clock, logger);
  const slave = new RtuSlave(transport, clock, device, { slaveId, line: line.data, exactTiming: false, random: mulberry32(deriveSeed(seed, 'noise')) });
  slave.setFault(fault);
  device.start();
  await keeper.start();
  const control = values.control ? await listenControl(...hostPort(values.control), device, slave) : null;
  // Keeps the process alive: every other timer is unref'd so a stopped device exits promptly.
  const alive = setInterval(() => {}, 1 << 30);
  const stop = () => {
    clearInterval(alive);
    slave.stop();
    device.stop();
    control?.server.close();
    void keeper.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (readyFile) await writeFileAtomic(readyFile, `${JSON.stringify({ pid: process.pid, port: transport.description, slaveId, definition: definition.name, state: keeper.status().state, control: control?.address ?? null })}\n`);
  process.stderr.write(`iothinx-sim field-device: ${definition.name} as slave ${slaveId} on ${transport.description} (${keeper.status().state})\n`);
}
