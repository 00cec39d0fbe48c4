/**
 * The in-process serial bus that virtual field devices sit on. Bytes take their real time on the
 * wire (characters x baud) on the device Clock, so the master's timing, timeouts and retries run
 * the same as on a cable, and with the manual clock a test steps through them exactly.
 *
 * Interface semantics that matter to software:
 * - rs485-2w is half-duplex: a frame sent while another is still on the wire collides, and both
 *   arrive garbled (the master sees a CRC error). With `echo`, the master also hears its own
 *   frame, as a 2-wire adapter without echo suppression hands it back.
 * - rs422 / rs485-4w are full-duplex: the master's pair and the slaves' pair never collide.
 * - rs232 is point-to-point: one field device at most (the profile check refuses more).
 */
import type { Clock } from '../device/clock.js';
import type { PortSettings } from './master.js';
import { transmitMs } from './rtu-frame.js';
import { TransportEvents } from './transport-events.js';
import type { Transport } from './transport.js';

type Role = 'master' | 'slave';

interface Transmission {
  from: VirtualEndpoint;
  until: number;
  collided: boolean;
}

export class VirtualBus {
  readonly counters = { frames: 0, collisions: 0 };
  private readonly endpoints: VirtualEndpoint[] = [];
  private onWire: Transmission[] = [];

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly settings: PortSettings,
  ) {}

  /** A new attachment point; the master's is the one the RTU master opens. */
  attach(role: Role, label: string): VirtualEndpoint {
    const endpoint = new VirtualEndpoint(this, role, `virtual:${this.name}${role === 'slave' ? `/${label}` : ''}`);
    this.endpoints.push(endpoint);
    return endpoint;
  }

  /** Called by an endpoint: the bytes reach the others once the last character is on the wire. */
  transmit(from: VirtualEndpoint, bytes: Buffer): void {
    const now = this.clock.monotonic();
    const duration = transmitMs(this.settings, bytes.length);
    this.onWire = this.onWire.filter((t) => t.until > now);
    const transmission: Transmission = { from, until: now + duration, collided: false };
    for (const other of this.onWire) {
      if (this.shareWire(other.from, from)) {
        other.collided = true;
        transmission.collided = true;
      }
    }
    if (transmission.collided) this.counters.collisions++;
    this.onWire.push(transmission);
    this.counters.frames++;
    const payload = Buffer.from(bytes);
    this.clock.setTimeout(() => {
      // Garbled on the wire: every byte is wrong, so no CRC survives.
      const data = transmission.collided ? payload.map((b) => b ^ 0x5a) : payload;
      for (const to of this.endpoints) {
        if (!to.isOpen) continue;
        // Slaves answer the master only; what they make of each other's answers is not modelled.
        const hearsItself = to === from && to.role === 'master' && this.settings.interface === 'rs485-2w' && this.settings.echo === true;
        if (to.role !== from.role || hearsItself) {
          to.deliver(Buffer.from(data));
        }
      }
    }, duration);
  }

  /** Whether two senders drive the same pair of wires. */
  private shareWire(a: VirtualEndpoint, b: VirtualEndpoint): boolean {
    return this.settings.interface === 'rs485-2w' || a.role === b.role;
  }
}

export class VirtualEndpoint extends TransportEvents implements Transport {
  private open_ = false;

  constructor(
    private readonly bus: VirtualBus,
    readonly role: Role,
    readonly description: string,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    this.open_ = true;
  }

  async write(bytes: Buffer): Promise<void> {
    if (!this.open_) throw new Error(`${this.description} is not open`);
    this.bus.transmit(this, bytes);
  }

  async close(): Promise<void> {
    this.open_ = false;
  }

  deliver(bytes: Buffer): void {
    this.emitData(bytes);
  }
}
