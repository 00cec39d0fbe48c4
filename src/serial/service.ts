/**
 * The serial port as the 4510 runs it: the RTU master polling its profiles into internal
 * registers, writing IR changes from the northbound side back to the slaves, keeping the RTU
 * status words, and (for users without hardware) the virtual field devices on the bus.
 *
 *   profiles ─► PollScheduler ─► RtuMaster ─► Transport (serial | tcp | virtual bus) ─► slaves
 *                                   │ answers                          RtuSlave ◄─ field devices
 *                                   ▼
 *          Device: internal registers (source "rtu"), head RTU status words
 *          Device.onChange (IR written over Modbus/REST/MQTT) ─► FC 5/6/16 to the slave
 */
import type { Logger } from 'pino';
import { rtuIrCount, type SerialConfig } from '../config/sections.js';
import type { Clock } from '../device/clock.js';
import type { Device, DeviceChange } from '../device/device.js';
import { SimError } from '../errors.js';
import type { PointSpace } from '../modbus-pdu/point-space.js';
import { decodePoll, pollRequest, writeRequest } from './ir-codec.js';
import type { FieldDeviceSlaveStatus, RtuErrorKind, RtuProfileStatus, SerialStatus } from './contract.js';
import { RtuMaster, type PortSettings, type TransactResult } from './master.js';
import { PortKeeper } from './port-keeper.js';
import { RtuSlave, type SlaveFault } from './rtu-slave.js';
import { PollScheduler } from './scheduler.js';
import { deviceStatusWords, errorCodeOf } from './status.js';
import { createTransport } from './transport-factory.js';
import { portKind, type Transport } from './transport.js';
import { VirtualBus } from './virtual-bus.js';

/** A simulated slave to put on the bus (or on a port of its own). */
export interface FieldDeviceAttachment {
  name: string;
  slaveId: number;
  space: PointSpace;
  /** null: the in-process bus. */
  port: string | null;
  /** Seeds the garbage-bytes fault. */
  random: () => number;
}



// The status documents of GET /sim/v1/serial are declared in the contract.
export type { FieldDeviceSlaveStatus, RtuProfileStatus, SerialStatus };

interface SlaveEntry {
  slave: RtuSlave;
  transport: Transport;
  attachment: FieldDeviceAttachment;
  keeper: PortKeeper | null;
  port: string;
}

const NO_ERRORS: Record<RtuErrorKind, number> = { timeout: 0, crc: 0, exception: 0, unexpected: 0, 'port-closed': 0 };

export class SerialService {
  private readonly settings: PortSettings;
  private readonly bus: VirtualBus | null = null;
  private readonly keeper: PortKeeper | null = null;
  private readonly master: RtuMaster | null = null;
  private readonly scheduler: PollScheduler | null = null;
  private readonly profiles: RtuProfileStatus[];
  private readonly slaves = new Map<string, SlaveEntry>();
  private unsubscribe: () => void = () => {};
  private unfault: () => void = () => {};

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    private readonly config: SerialConfig,
    private readonly logger: Logger,
    fieldDevices: readonly FieldDeviceAttachment[] = [],
  ) {
    this.settings = { interface: config.interface, baudRate: config.baudRate, parity: config.parity, dataBits: config.dataBits, stopBits: config.stopBits, echo: config.echo };
    this.profiles = config.profiles.map((p) => ({
      ...p,
      irCount: rtuIrCount(p),
      state: 'idle',
      errorCode: 0,
      polls: 0,
      okCount: 0,
      errorCount: 0,
      errors: { ...NO_ERRORS },
      writes: 0,
      writeErrors: 0,
      lastPollAt: null,
      lastOkAt: null,
      lastError: null,
      lateness: { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 },
      overruns: 0,
    }));
    const port = config.port;
    if (port !== null) {
      const kind = portKind(port);
      if (kind === 'virtual') this.bus = new VirtualBus(port.slice('virtual:'.length), clock, this.settings);
      const transport = this.bus ? this.bus.attach('master', 'master') : createTransport(port, this.settings);
      this.keeper = new PortKeeper(transport, clock, logger, (open) => this.portChanged(open));
      this.master = new RtuMaster(transport, clock, { settings: this.settings, responseTimeoutMs: config.responseTimeoutMs, retries: config.retries, interCharTimeoutMs: config.interCharTimeoutMs, interFrameDelayMs: config.interFrameDelayMs }, kind === 'virtual');
      this.scheduler = new PollScheduler(
        clock,
        config.profiles.map((p) => p.scanRate * 100),
        (index, done) => this.poll(index, done),
      );
    }
    for (const attachment of fieldDevices) this.addFieldDevice(attachment);
  }

  async start(): Promise<void> {
    for (const entry of this.slaves.values()) {
      if (entry.keeper) await entry.keeper.start();
      else await entry.transport.open();
    }
    if (this.keeper) await this.keeper.start();
    this.unsubscribe = this.device.onChange((change) => this.writeThrough(change));
    // Serial faults through the device's fault board (scenarios, /sim/v1/faults) reach the slaves.
    this.unfault = this.device.faults.onChange(({ type, fault }) => {
      if (fault.spec.kind !== 'serial' || !this.slaves.has(fault.spec.device)) return;
      this.setFault(fault.spec.device, type === 'injected' ? { ...fault.spec.fault } : { kind: 'none', count: null });
    });
    this.publishStatus();
    this.scheduler?.start();
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.unfault();
    this.scheduler?.stop();
    this.master?.failQueued('the serial service stopped');
    for (const entry of this.slaves.values()) {
      entry.slave.stop();
      await entry.keeper?.stop();
    }
    await this.keeper?.stop();
  }

  status(): SerialStatus {
    const scheduler = this.scheduler;
    return {
      port: this.keeper ? { ...this.keeper.status(), kind: portKind(this.config.port ?? '') } : null,
      settings: { ...this.settings, responseTimeoutMs: this.config.responseTimeoutMs, retries: this.config.retries },
      master: this.master ? { ...this.master.counters, queued: this.master.queued } : null,
      bus: this.bus ? { ...this.bus.counters } : null,
      deviceStatus: [...this.device.head.rtuDeviceStatus],
      profileErrorCode: [...this.device.head.rtuProfileErrorCode],
      profiles: this.profiles.map((p, i) => ({ ...p, errors: { ...p.errors }, lateness: scheduler ? scheduler.stats(i) : p.lateness, overruns: scheduler?.overruns[i] ?? 0 })),
      fieldDevices: [...this.slaves.values()].map((e) => ({
        name: e.attachment.name,
        slaveId: e.attachment.slaveId,
        port: e.port,
        fault: { ...e.slave.fault },
        counters: { ...e.slave.counters },
        portStatus: e.keeper?.status() ?? null,
      })),
    };
  }

  /** Makes a field device misbehave (or behave again). */
  setFault(name: string, fault: SlaveFault): void {
    const entry = this.slaves.get(name);
    if (!entry) throw new SimError('HTTP_NOT_FOUND', `no field device ${name}; the profile has ${[...this.slaves.keys()].join(', ') || 'none'}`, { context: { name } });
    entry.slave.setFault(fault);
    this.logger.info({ fieldDevice: name, fault }, 'field device fault set');
  }

  private addFieldDevice(attachment: FieldDeviceAttachment): void {
    const exactTiming = attachment.port === null;
    let keeper: PortKeeper | null = null;
    let transport: Transport;
    if (attachment.port === null) {
      if (!this.bus) throw new SimError('PROFILE_INVALID', `field device ${attachment.name} sits on the in-process bus, which needs serial.port virtual:NAME`);
      transport = this.bus.attach('slave', attachment.name);
    } else {
      transport = createTransport(attachment.port, this.settings);
      keeper = new PortKeeper(transport, this.clock, this.logger.child({ fieldDevice: attachment.name }));
    }
    const slave = new RtuSlave(transport, this.clock, attachment.space, { slaveId: attachment.slaveId, line: this.settings, exactTiming, random: attachment.random });
    this.slaves.set(attachment.name, { slave, transport, attachment, keeper, port: transport.description });
  }

  private poll(index: number, done: () => void): void {
    const profile = this.profiles[index]!;
    profile.polls++;
    profile.lastPollAt = this.clock.now();
    this.master!.request(profile.slaveId, pollRequest(profile), (result) => {
      try {
        this.pollSettled(profile, result);
      } finally {
        done();
      }
    });
  }

  private pollSettled(profile: RtuProfileStatus, result: TransactResult): void {
    if (result.ok) {
      const values = decodePoll(profile, result.pdu);
      const irs = this.device.internalRegisters[profile.irType];
      values.forEach((value, i) => {
        try {
          irs[profile.irStart + i]?.write('irValue', value, 'rtu');
        } catch (error) {
          // A value the IR refuses (a NaN float from the slave) leaves the IR as it was.
          this.logger.warn({ profile: profile.name, ir: profile.irStart + i, value, err: error instanceof Error ? error.message : String(error) }, 'rtu value refused by the internal register');
        }
      });
      profile.okCount++;
      profile.lastOkAt = this.clock.now();
      profile.state = 'ok';
      profile.errorCode = 0;
    } else {
      this.recordError(profile, result);
    }
    if (profile.exceptionIr !== null) this.device.internalRegisters.word[profile.exceptionIr]?.write('irValue', profile.errorCode, 'rtu');
    this.publishStatus();
  }

  private recordError(profile: RtuProfileStatus, result: Extract<TransactResult, { ok: false }>): void {
    profile.errorCount++;
    profile.errors[result.kind]++;
    profile.state = 'error';
    profile.errorCode = errorCodeOf(result.kind, result.exceptionCode);
    profile.lastError = { kind: result.kind, detail: result.detail, exceptionCode: result.exceptionCode, at: this.clock.now() };
    this.logger.debug({ profile: profile.name, kind: result.kind, detail: result.detail }, 'rtu poll failed');
  }

  /** An IR that a coil or holding-register profile fills, changed from the northbound side, goes to the slave. */
  private writeThrough(change: DeviceChange): void {
    if (change.type !== 'ir' || change.source === 'rtu' || change.source === 'config' || !this.master) return;
    const ir = this.device.findIoName(change.ioName);
    if (!ir || !('irType' in ir)) return;
    const irType = ir.irType;
    for (const profile of this.profiles) {
      if (profile.irType !== irType || ir.index < profile.irStart || ir.index >= profile.irStart + profile.irCount) continue;
      const request = writeRequest(profile, ir.index - profile.irStart, change.value);
      if (!request) continue;
      profile.writes++;
      this.master.request(profile.slaveId, request, (result) => {
        if (result.ok) return;
        profile.writeErrors++;
        this.recordError(profile, result);
        this.publishStatus();
      });
    }
  }

  private portChanged(open: boolean): void {
    if (!open) this.master?.failQueued(`${this.keeper?.transport.description ?? 'the port'} was lost`);
    this.publishStatus();
  }

  private publishStatus(): void {
    let failed = 0;
    let errors = 0;
    let oks = 0;
    this.profiles.forEach((p, i) => {
      if (p.state === 'error') failed |= 1 << i;
      errors += p.errorCount;
      oks += p.okCount;
    });
    const portOpen = this.keeper?.status().state === 'open';
    this.device.head.setRtuStatus(
      deviceStatusWords(failed, portOpen, errors, oks),
      this.profiles.map((p) => p.errorCode),
    );
  }
}
