/**
 * Faults on demand: what real devices and networks do to a system under test, switchable per
 * protocol and per channel, each visible while active and cleared cleanly. The board only keeps
 * the list and says when it changes; each part acts on its own kinds:
 *
 *   module-removed / module-failed   the device model: Modbus exception 2 / 4, /api 404 / 503,
 *                                     no MQTT publications, slot state in /sim/v1/device
 *   channel                          the device model: a field input (AI burnout, over range)
 *                                     applied now and the field state before it restored on clear
 *   modbus-slow / -drop / -garbage / -exception   the Modbus/TCP server, per request
 *   mqtt-disconnect                  the MQTT client drops the connection and stays away
 *   rest-error / rest-slow           the device API (/api): a 5xx, or answers late
 *   serial                           a virtual field device's fault (docs/serial.md)
 *   clock-jump                       the wall clock steps by ms (monotonic time does not)
 *
 * Injecting a fault of the same kind and target replaces the one active. `count` (where it
 * applies: Modbus, REST) spoils that many requests and then clears itself.
 */
import * as z from 'zod';
import { FIELD_KEYS, fieldInputSchema } from './field-input.js';
import { Listeners, type ListenerLogger } from './listeners.js';

const count = { count: z.number().int().min(1).nullable().default(null) };
const slot = z.number().int().min(1).max(32);
/** A channel as `slot/index` or an ioName. */
const target = z.string().min(1);

/**
 * How a virtual field device misbehaves (src/serial/rtu-slave.ts): no answer, a slow answer, a
 * bad CRC, an exception code, garbage bytes; `count` spoils that many requests, then clears.
 */
export const serialFaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none'), ...count }),
  z.strictObject({ kind: z.literal('no-answer'), ...count }),
  z.strictObject({ kind: z.literal('slow'), delayMs: z.number().int().min(1).max(60_000), ...count }),
  z.strictObject({ kind: z.literal('crc'), ...count }),
  z.strictObject({ kind: z.literal('exception'), exceptionCode: z.number().int().min(1).max(255), ...count }),
  z.strictObject({ kind: z.literal('garbage'), ...count }),
]);

export const faultSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('module-removed'), slot }),
  z.strictObject({ kind: z.literal('module-failed'), slot }),
  z.strictObject({
    kind: z.literal('channel'),
    target,
    /** The field input while the fault lasts, e.g. {"burnout": true} or {"physical": 25}. */
    input: fieldInputSchema.refine((input) => Object.keys(input).length > 0, `name at least one field input (${FIELD_KEYS.join(', ')})`),
  }),
  z.strictObject({ kind: z.literal('modbus-slow'), delayMs: z.number().int().min(1).max(60_000), ...count }),
  z.strictObject({ kind: z.literal('modbus-drop'), ...count }),
  z.strictObject({ kind: z.literal('modbus-garbage'), ...count }),
  z.strictObject({ kind: z.literal('modbus-exception'), exceptionCode: z.number().int().min(1).max(255), ...count }),
  z.strictObject({ kind: z.literal('mqtt-disconnect') }),
  z.strictObject({ kind: z.literal('rest-error'), status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(500), ...count }),
  z.strictObject({ kind: z.literal('rest-slow'), delayMs: z.number().int().min(1).max(60_000), ...count }),
  z.strictObject({ kind: z.literal('serial'), device: z.string().min(1), fault: serialFaultSchema }),
  z.strictObject({ kind: z.literal('clock-jump'), ms: z.number().int().min(-3_153_600_000_000).max(3_153_600_000_000) }),
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['kind'];
export type FaultOf<K extends FaultKind> = Extract<FaultSpec, { kind: K }>;

export interface ActiveFault {
  id: string;
  /** Clock time it was injected. */
  since: number;
  spec: FaultSpec;
  /** Requests it has spoiled so far (Modbus, REST). */
  hits: number;
}

export type FaultEvent = { type: 'injected' | 'cleared'; fault: ActiveFault };

/** What makes two faults "the same one" (a new one replaces the old). */
function key(spec: FaultSpec): string {
  switch (spec.kind) {
    case 'module-removed':
    case 'module-failed':
      return `module:${spec.slot}`;
    case 'channel':
      return `channel:${spec.target}`;
    case 'serial':
      return `serial:${spec.device}`;
    default:
      return spec.kind.startsWith('modbus-') ? 'modbus' : spec.kind.startsWith('rest-') ? 'rest' : spec.kind;
  }
}

export interface FaultBoardOptions {
  /**
   * The owner's own action on each event (the Device: modules, channels, the clock), called
   * before the listeners; it may throw to refuse an injected fault, which then is not active.
   */
  apply?: (event: FaultEvent) => void;
  /** Where a failing listener is logged; a listener's error never refuses or breaks a fault. */
  logger?: ListenerLogger;
}

export class FaultBoard {
  private readonly faults = new Map<string, ActiveFault>();
  private readonly listeners: Listeners<FaultEvent>;
  private readonly apply: (event: FaultEvent) => void;
  private nextId = 1;

  constructor(
    private readonly now: () => number,
    options: FaultBoardOptions = {},
  ) {
    this.apply = options.apply ?? (() => {});
    this.listeners = new Listeners<FaultEvent>('fault', options.logger, (event) => ({ fault: event.fault.id, kind: event.fault.spec.kind }));
  }

  /** Activates a fault (replacing one of the same kind and target); listeners act on it. */
  inject(spec: FaultSpec): ActiveFault {
    const k = key(spec);
    const old = this.faults.get(k);
    if (old) this.remove(k, old);
    const fault: ActiveFault = { id: `f${this.nextId++}`, since: this.now(), spec, hits: 0 };
    this.faults.set(k, fault);
    const event: FaultEvent = { type: 'injected', fault };
    try {
      this.apply(event);
    } catch (error) {
      // The owner refused it (a field input the channel cannot take): it is not active, and
      // what was done before the refusal is undone. The listeners never heard it injected, so they
      // hear nothing of it being cleared either.
      this.faults.delete(k);
      this.apply({ type: 'cleared', fault });
      throw error;
    }
    this.listeners.emit(event);
    return fault;
  }

  /** Clears one fault by id; false when no such fault is active. */
  clear(id: string): boolean {
    for (const [k, fault] of this.faults) {
      if (fault.id === id) {
        this.remove(k, fault);
        return true;
      }
    }
    return false;
  }

  clearAll(): number {
    const all = [...this.faults];
    for (const [k, fault] of all) this.remove(k, fault);
    return all.length;
  }

  active(): ActiveFault[] {
    return [...this.faults.values()];
  }

  /** The active fault for a protocol (modbus, rest) or one target, if any. */
  find<K extends FaultKind>(predicate: (spec: FaultSpec) => spec is FaultOf<K>): (ActiveFault & { spec: FaultOf<K> }) | undefined {
    // Asked on every Modbus request and device API call: no iterator when nothing is injected.
    if (this.faults.size === 0) return undefined;
    for (const fault of this.faults.values()) if (predicate(fault.spec)) return fault as ActiveFault & { spec: FaultOf<K> };
    return undefined;
  }

  /**
   * Counts one spoiled request; a fault with a `count` clears itself after that many. Call it
   * only when the fault actually acted.
   */
  hit(fault: ActiveFault): void {
    fault.hits++;
    const limit = 'count' in fault.spec ? fault.spec.count : null;
    if (limit !== null && fault.hits >= limit) this.clear(fault.id);
  }

  /** Hears every fault injected and cleared; returns the unsubscribe. A throwing listener is logged, never fatal. */
  onChange(listener: (event: FaultEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  private remove(k: string, fault: ActiveFault): void {
    this.faults.delete(k);
    const event: FaultEvent = { type: 'cleared', fault };
    this.apply(event);
    this.listeners.emit(event);
  }
}

/** What a fault's target needs of the device (structural: Device fits, and faults.ts need not import it). */
export interface FaultTargets {
  readonly modules: readonly { slot: number }[];
  findChannelRef(ref: string): unknown;
}

/**
 * Why `spec` names nothing on this device (a slot without a module, an unknown channel or field
 * device), with the field's path within the spec; undefined when its target exists. The fault
 * route, the fleet's fault route and scenario checks all word it alike.
 */
export function faultTargetProblem(device: FaultTargets, spec: FaultSpec, fieldDeviceNames: readonly string[] = []): { path: string; message: string } | undefined {
  if (spec.kind === 'module-removed' || spec.kind === 'module-failed') {
    if (!device.modules.some((m) => m.slot === spec.slot)) return { path: 'slot', message: `no module in slot ${spec.slot}; slots 1..${device.modules.length} are fitted` };
  } else if (spec.kind === 'channel') {
    if (!device.findChannelRef(spec.target)) return { path: 'target', message: `no channel ${spec.target} (slot/index or an ioName)` };
  } else if (spec.kind === 'serial') {
    if (!fieldDeviceNames.includes(spec.device)) return { path: 'device', message: `no field device ${spec.device}; the profile has ${fieldDeviceNames.join(', ') || 'none'}` };
  }
  return undefined;
}

export const isModbusFault = (spec: FaultSpec): spec is FaultOf<'modbus-slow' | 'modbus-drop' | 'modbus-garbage' | 'modbus-exception'> => spec.kind.startsWith('modbus-');
export const isRestFault = (spec: FaultSpec): spec is FaultOf<'rest-error' | 'rest-slow'> => spec.kind.startsWith('rest-');
