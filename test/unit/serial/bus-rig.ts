/** A virtual bus on a ManualClock with the RTU master and simple slaves: no real time, no sockets. */
import { ManualClock } from '../../../src/device/clock.js';
import { ExceptionCode, ModbusException } from '../../../src/modbus-pdu/exceptions.js';
import type { PointSpace } from '../../../src/modbus-pdu/point-space.js';
import { RtuMaster, type MasterOptions, type PortSettings, type TransactResult } from '../../../src/serial/master.js';
import { RtuSlave } from '../../../src/serial/rtu-slave.js';
import { mulberry32 } from '../../../src/sim/random.js';
import { VirtualBus } from '../../../src/serial/virtual-bus.js';

/** 100 holding/input registers (holding[i] = 1000 + i, input[i] = 2000 + i) and 100 coils/discretes. */
export class Registers implements PointSpace {
  readonly holding = Array.from({ length: 100 }, (_, i) => 1000 + i);
  readonly input = Array.from({ length: 100 }, (_, i) => 2000 + i);
  readonly coils: number[] = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 0));

  private check(address: number, quantity: number): void {
    if (address + quantity > 100) throw new ModbusException(ExceptionCode.IllegalDataAddress, `${address}+${quantity} past 99`);
  }

  readBits(_table: 'coil' | 'discrete', address: number, quantity: number): Uint8Array {
    this.check(address, quantity);
    return Uint8Array.from(this.coils.slice(address, address + quantity));
  }

  readRegisters(table: 'holding' | 'input', address: number, quantity: number, out: Buffer, offset: number): void {
    this.check(address, quantity);
    const source = table === 'holding' ? this.holding : this.input;
    for (let i = 0; i < quantity; i++) out.writeUInt16BE(source[address + i]!, offset + i * 2);
  }

  writeBits(address: number, values: ArrayLike<number>): void {
    this.check(address, values.length);
    for (let i = 0; i < values.length; i++) this.coils[address + i] = values[i]!;
  }

  writeRegisters(address: number, words: ArrayLike<number>): void {
    this.check(address, words.length);
    for (let i = 0; i < words.length; i++) this.holding[address + i] = words[i]!;
  }
}

export const LINE: PortSettings = { interface: 'rs485-2w', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 };

export function busRig(settings: Partial<PortSettings> = {}, options: Partial<Omit<MasterOptions, 'settings'>> = {}) {
  const clock = new ManualClock();
  const line = { ...LINE, ...settings };
  const bus = new VirtualBus('test', clock, line);
  const masterEnd = bus.attach('master', 'master');
  void masterEnd.open();
  const master = new RtuMaster(masterEnd, clock, { settings: line, responseTimeoutMs: 100, retries: 1, ...options }, true);
  const addSlave = <S extends PointSpace = Registers>(slaveId: number, space: S = new Registers() as unknown as S) => {
    const end = bus.attach('slave', `s${slaveId}`);
    void end.open();
    const slave = new RtuSlave(end, clock, space, { slaveId, line, exactTiming: true, random: mulberry32(7) });
    return { slave, space, end };
  };
  /** Sends one request and runs the clock until it settles; returns the result and when it came. */
  const run = (slaveId: number, pdu: number[], maxMs = 5_000): { result: TransactResult; at: number } => {
    let settled: { result: TransactResult; at: number } | undefined;
    master.request(slaveId, Buffer.from(pdu), (result) => (settled = { result, at: clock.monotonic() }));
    for (let t = 0; t < maxMs && !settled; t += 0.25) clock.advance(0.25);
    if (!settled) throw new Error(`no result within ${maxMs} ms`);
    return settled;
  };
  return { clock, bus, master, masterEnd, line, addSlave, run };
}
