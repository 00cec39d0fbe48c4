/**
 * The Device: the one source of truth for the head unit, the rail of modules, their channels
 * and the internal registers. Adapters read and write through it and learn of changes from
 * `onChange`; no adapter keeps its own copy of a value.
 */
import { isSimError, SimError } from '../errors.js';
import { findModel, modeName } from './catalog.js';
import { AiChannel } from './ai.js';
import { AoChannel } from './ao.js';
import type { Channel, ChangeSource, ChannelHost, FieldInput, IoType, ModuleRef } from './channel.js';
import { checkFieldInput, currentFieldInput } from './field-write.js';
import type { Clock } from './clock.js';
import { DiChannel } from './di.js';
import { DoChannel } from './do.js';
import { IrChannel } from './internal-registers.js';
import { currentPeer } from './actor.js';
import { HeadChannel } from './head.js';
import { FaultBoard, type FaultEvent } from './faults.js';
import { Journal } from './journal.js';
import { Listeners, type ListenerLogger } from './listeners.js';
import { Refusals } from './refusals.js';
import { IoModule } from './module.js';
import { RelayChannel } from './relay.js';
import { IR_TYPES, type ChannelConfig, type DeviceIdentity, type DeviceSpec, type IrType } from './schema.js';
import { channelLayout, checkDeviceSpec, defaultModuleNames, resolveMode } from './spec-check.js';
import { SpChannel } from './sp.js';
import { RtdChannel, TcChannel } from './temperature.js';
import { CHANNEL_PREFIX } from './catalog.js';

export interface DeviceChange {
  /** Increases by one per change, from 1; lets a client see that it missed events. */
  seq: number;
  /** Clock time (ms since epoch) of the change. */
  at: number;
  slot: number;
  index: number;
  type: IoType;
  ioName: string;
  attribute: string;
  value: number;
  previous: number;
  source: ChangeSource;
  /** The client's `host:port` when a protocol request caused it (src/device/actor.ts), else null. */
  peer: string | null;
}

export type ChangeListener = (change: DeviceChange) => void;

/** The device's logger: where a failing listener of its changes, faults or journal is logged. */
export type DeviceLogger = ListenerLogger;

export interface ChannelSnapshot {
  index: number;
  type: IoType;
  name: string;
  ioName: string;
  mode: number;
  modeName: string;
  field: Record<string, number | boolean | string>;
  [attribute: string]: unknown;
}

export interface SlotSnapshot {
  slot: number;
  module: string;
  name: string;
  channels: ChannelSnapshot[];
  [extra: string]: unknown;
}

export interface DeviceSnapshot {
  name: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  slots: SlotSnapshot[];
}

export const HEAD_MODEL = 'ioThinx 4510';
const HEAD: ModuleRef = { slot: 0, name: 'ioThinx' };

/**
 * Rails found sound, by their sections: a fleet's devices share their profile's (nothing changes
 * a section in place), and checking each device's was 3% of a fleet's start.
 */
const soundRails = new WeakMap<DeviceSpec['slots'], DeviceSpec['internalRegisters']>();

export class Device implements ChannelHost {
  readonly identity: DeviceIdentity;
  readonly modules: readonly IoModule[];
  readonly internalRegisters: Readonly<Record<IrType, readonly IrChannel[]>>;
  /** The head unit's own points: watchdog alarm, system error, RTU master status. */
  readonly head: HeadChannel;
  private readonly listeners: Listeners<DeviceChange>;
  private readonly byIoName = new Map<string, Channel>();
  private seq = 0;
  private readonly startedAt: number;
  /** Every request, write and change, bounded (src/device/journal.ts). */
  readonly journal: Journal;
  /** What the client limits refused, per limit (src/device/refusals.ts). */
  readonly refusals = new Refusals();
  /** Faults on demand (src/device/faults.ts); the device acts on module, channel and clock faults. */
  readonly faults: FaultBoard;
  /** Field state of channels under a channel fault, restored when it clears. */
  private readonly savedField = new Map<string, FieldInput>();

  constructor(
    spec: DeviceSpec,
    readonly clock: Clock,
    logger?: DeviceLogger,
    /** Entries the journal keeps (default 10 000; a fleet keeps fewer per device). */
    journalCapacity?: number,
  ) {
    if (soundRails.get(spec.slots) !== spec.internalRegisters) {
      const issues = checkDeviceSpec(spec);
      if (issues.length > 0) {
        throw new SimError('PROFILE_INVALID', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { context: { issues } });
      }
      soundRails.set(spec.slots, spec.internalRegisters);
    }
    this.identity = { ...spec.device };
    this.listeners = new Listeners<DeviceChange>('change', logger, (change) => ({ ioName: change.ioName, attribute: change.attribute }));
    this.journal = new Journal(() => clock.now(), journalCapacity, logger);
    // The device acts on a fault before any listener hears of it, and may refuse it (apply throws).
    this.faults = new FaultBoard(() => clock.now(), { apply: (event) => this.onFault(event), logger });
    this.startedAt = clock.monotonic();
    this.head = new HeadChannel(this, HEAD);
    const names = defaultModuleNames(spec.slots);
    this.modules = [...spec.slots]
      .sort((a, b) => a.slot - b.slot)
      .map((slot, i) => {
        const model = findModel(slot.module);
        if (!model) throw new SimError('PROFILE_INVALID', `unknown module ${slot.module}`);
        const module = new IoModule(slot.slot, slot.module, model, names[i] as string);
        const configs = new Map(slot.channels.map((c) => [c.index, c]));
        const perType = new Map<string, number>();
        channelLayout(model.groups).forEach(({ group, typeIndex }, index) => {
          const config = configs.get(index) ?? { index };
          const n = perType.get(group.type) ?? 0;
          perType.set(group.type, n + 1);
          const name = config.name ?? `${CHANNEL_PREFIX[group.type]}-${String(n).padStart(2, '0')}`;
          const mode = resolveMode(group, config.mode) ?? 0;
          module.channels.push(this.buildChannel(module, index, name, group.type, mode, typeIndex, group, config));
        });
        return module;
      });
    const irs = {} as Record<IrType, IrChannel[]>;
    for (const type of IR_TYPES) {
      irs[type] = Array.from({ length: spec.internalRegisters.quantities[type] }, (_, i) => new IrChannel(this, HEAD, type, i));
    }
    this.internalRegisters = irs;
    for (const ir of spec.internalRegisters.initial) irs[ir.type][ir.index]?.write('irValue', ir.value, 'config');
    for (const channel of this.allChannels()) this.byIoName.set(channel.ioName, channel);
    this.seq = 0;
  }

  /** Subscribes to every change; returns the unsubscribe function. A throwing listener is logged, never fatal. */
  onChange(listener: ChangeListener): () => void {
    return this.listeners.add(listener);
  }

  /** Sequence number of the last change (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  commit(channel: Channel, attribute: string, value: number, previous: number, source: ChangeSource): void {
    const peer = currentPeer();
    const change: DeviceChange = {
      seq: ++this.seq,
      at: this.clock.now(),
      slot: channel.module.slot,
      index: channel.index,
      type: channel.type,
      ioName: channel.ioName,
      attribute,
      value,
      previous,
      source,
      peer,
    };
    this.journal.record({ kind: 'change', source, peer, ioName: change.ioName, attribute, value, previous });
    this.listeners.emit(change);
  }

  /**
   * The refusal for a channel of a removed or failed module, or null. Protocol adapters ask at
   * their boundary (Modbus exception 2 / 4, /api 404 / 503, no MQTT publication).
   */
  unavailable(channel: Channel): SimError | null {
    // A rail channel's module is its IoModule; the head unit and IRs have no module to fail.
    return channel.module instanceof IoModule ? channel.module.refusal(channel.ioName) : null;
  }

  private onFault(event: FaultEvent): void {
    const { spec } = event.fault;
    const on = event.type === 'injected';
    this.journal.record({ kind: 'fault', source: 'sim', peer: currentPeer(), action: `${event.type} ${event.fault.id} ${JSON.stringify(spec)}`, result: 'ok' });
    if (spec.kind === 'module-removed' || spec.kind === 'module-failed') {
      const module = this.modules.find((m) => m.slot === spec.slot);
      if (module) module.fault = on ? (spec.kind === 'module-removed' ? 'removed' : 'failed') : null;
    } else if (spec.kind === 'channel') {
      const channel = this.findChannelRef(spec.target);
      if (!channel) return;
      if (on) {
        // Checked first (an input the channel's type does not take is refused at the fault's
        // `input`, the choice a client got wrong), then saved, so a refused fault restores nothing.
        checkFieldInput(channel, spec.input, 'input');
        if (!this.savedField.has(spec.target)) this.savedField.set(spec.target, currentFieldInput(channel));
        // Not through writeField's signal detach: a signal on the channel keeps running under
        // the fault, since the device cannot re-attach it when the fault clears.
        channel.applyField(spec.input, 'sim');
      } else {
        const saved = this.savedField.get(spec.target);
        this.savedField.delete(spec.target);
        if (saved) channel.applyField(saved, 'sim');
      }
    } else if (spec.kind === 'clock-jump') {
      this.clock.jump(on ? spec.ms : -spec.ms);
    }
  }

  /** `slot/index` or an ioName. */
  findChannelRef(ref: string): Channel | undefined {
    const m = /^(\d+)\/(\d+)$/.exec(ref);
    if (!m) return this.findIoName(ref);
    return this.modules.find((mod) => mod.slot === Number(m[1]))?.channel(Number(m[2]));
  }

  recordWrite(channel: Channel, attribute: string, value: number, source: ChangeSource, error: unknown): void {
    // Writes by the emulator itself (config, the RTU master filling IRs) are changes, not requests.
    if (source === 'config' || source === 'rtu') return;
    const result = error === null ? 'ok' : isSimError(error) ? error.code : 'error';
    this.journal.record({ kind: 'write', source, peer: currentPeer(), ioName: channel.ioName, attribute, value, result });
  }

  module(slot: number): IoModule {
    const module = this.modules.find((m) => m.slot === slot);
    if (!module) {
      throw new SimError('DEVICE_UNKNOWN_SLOT', `no module in slot ${slot}; slots 1..${this.modules.length} are fitted`, { context: { slot } });
    }
    return module;
  }

  channel(slot: number, index: number): Channel {
    const module = this.module(slot);
    const channel = module.channel(index);
    if (!channel) {
      throw new SimError('DEVICE_UNKNOWN_CHANNEL', `${module.name} in slot ${slot} has channels 0..${module.channels.length - 1}; there is no channel ${index}`, {
        context: { slot, index },
      });
    }
    return channel;
  }

  /** Looks up a channel or internal register by its ioName (`45MR-1600-0@DI-00`, `WIR-03`). */
  findIoName(ioName: string): Channel | undefined {
    return this.byIoName.get(ioName);
  }

  *allChannels(): Generator<Channel> {
    for (const module of this.modules) yield* module.channels;
    for (const type of IR_TYPES) yield* this.internalRegisters[type];
  }

  /** Milliseconds since the device started, on the device clock (sysUpTime). */
  uptimeMs(): number {
    return this.clock.monotonic() - this.startedAt;
  }

  uptimeSeconds(): number {
    return Math.floor((this.clock.monotonic() - this.startedAt) / 1000);
  }

  snapshotChannel(channel: Channel): ChannelSnapshot {
    return {
      index: channel.index,
      type: channel.type,
      name: channel.name,
      ioName: channel.ioName,
      mode: channel.mode,
      modeName: channel.type === 'ir' || channel.type === 'sys' || channel.type === 'relay' || channel.type === 'sp' ? '' : modeName(channel.type, channel.mode),
      ...channel.values(),
      field: channel.field(),
    };
  }

  snapshot(): DeviceSnapshot {
    const head: SlotSnapshot = {
      slot: 0,
      module: HEAD_MODEL,
      name: this.identity.name,
      channels: [],
      watchdogAlarmFlag: this.head.read('watchdogAlarmFlag'),
      systemError: this.head.read('systemError'),
      mac: this.identity.mac,
      ip: this.identity.ip,
      uptime: this.uptimeSeconds(),
    };
    return {
      name: this.identity.name,
      model: HEAD_MODEL,
      serialNumber: this.identity.serialNumber,
      firmwareVersion: this.identity.firmwareVersion,
      slots: [
        head,
        ...this.modules.map((m) => ({ slot: m.slot, module: m.model, name: m.name, fault: m.fault, channels: m.channels.map((c) => this.snapshotChannel(c)) })),
      ],
    };
  }

  dispose(): void {
    for (const channel of this.allChannels()) channel.dispose();
    this.listeners.clear();
  }

  private buildChannel(
    module: IoModule,
    index: number,
    name: string,
    type: string,
    mode: number,
    typeIndex: number,
    group: { counterChannels?: number; pulseChannels?: number },
    c: ChannelConfig,
  ): Channel {
    switch (type) {
      case 'di':
        return new DiChannel(this, module, index, name, {
          counterCapable: typeIndex < (group.counterChannels ?? 0),
          mode: mode === 1 ? 1 : 0,
          level: c.level,
          filterMs: c.filterMs,
          counterValue: c.counterValue,
          counterRunning: c.counterRunning,
        });
      case 'do':
        return new DoChannel(this, module, index, name, {
          pulseCapable: typeIndex < (group.pulseChannels ?? 0),
          mode: mode === 1 ? 1 : 0,
          status: c.status,
          pulse: c.pulse,
          safeValue: c.safeValue,
        });
      case 'relay':
        return new RelayChannel(this, module, index, name, { status: c.status, totalCount: c.totalCount, safeValue: c.safeValue });
      case 'ai':
        return new AiChannel(this, module, index, name, {
          mode,
          physical: c.physical,
          burnoutThreshold: c.burnoutThreshold,
          burnoutValueScaled: c.burnoutValueScaled,
          scaling: c.scaling,
          driven: c.signal !== undefined,
        });
      case 'ao':
        return new AoChannel(this, module, index, name, { mode, output: c.output });
      case 'rtd':
        return new RtdChannel(this, module, index, name, { mode, temperature: c.temperature, driven: c.signal !== undefined });
      case 'tc':
        return new TcChannel(this, module, index, name, { mode, temperature: c.temperature, driven: c.signal !== undefined });
      case 'sp':
        return new SpChannel(this, module, index, name, { voltage: c.voltage, lowerLimit: c.lowerLimit, upperLimit: c.upperLimit });
      default:
        throw new SimError('PROFILE_INVALID', `no channel behaviour for type ${type}`);
    }
  }
}
