/**
 * Many devices in one process (issue #16), each its own device on the wire: its identity from
 * the `fleet.identity` templates, its listeners from `fleet.addressing`, its seed derived from the
 * fleet's, its own journal (smaller than a lone device's). They share one clock (a manual clock
 * moves them all) and, with `mqtt: embedded`, one broker.
 *
 *   profile + fleet section ─► identityAt(i), listenAt(k) ─► Emulator.start (src/app) × count
 *                                   └─ one clock, one embedded broker ─┘
 */
import type { Logger } from 'pino';
import type { Fleet as FleetSection } from '../config/fleet.js';
import type { Profile } from '../config/profile.js';
import { createClock, type Clock } from '../device/clock.js';
import { isSimError, SimError } from '../errors.js';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { connectHost } from '../mqtt/service.js';
import { deriveSeed } from '../sim/random.js';
import { Emulator } from '../app/emulator.js';
import { listenAt } from './addressing.js';
import { identityAt } from './identity.js';
import type { EmulatorAddresses, ListenAddress } from '../app/service.js';

export interface FleetOptions {
  /** The profile every device is made from; its identity is the base of the templates. */
  profile: Profile;
  fleet: FleetSection;
  profileFile: string;
  /** 'off', 'profile' (as the profile says), 'embedded' (one broker for the whole fleet) or a broker URL. */
  mqtt: string;
  /** Where the fleet's embedded broker listens. */
  broker: ListenAddress | null;
  clock: 'real' | 'manual';
  seed: number;
  logger: Logger;
}

/** One device of the fleet as the ready file and the fleet API list it. */
export interface FleetMember {
  index: number;
  name: string;
  serialNumber: string;
  mac: string;
  ip: string;
  addresses: EmulatorAddresses;
}

/** The MQTT clients of every device plus room for the users' own. */
const BROKER_CLIENTS_BEYOND_DEVICES = 256;

export class Fleet {
  private readonly members = new Map<number, { emulator: Emulator; member: FleetMember }>();
  private stopped = false;

  private constructor(
    private readonly options: FleetOptions,
    readonly clock: Clock,
    readonly broker: EmbeddedBroker | null,
  ) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const clock = createClock(options.clock);
    const { fleet, profile } = options;
    const mqttOn = options.mqtt !== 'off' && (options.mqtt !== 'profile' || profile.mqtt.enabled);
    let broker: EmbeddedBroker | null = null;
    if (mqttOn && (options.mqtt === 'embedded' || (options.mqtt === 'profile' && profile.mqtt.url === 'embedded'))) {
      const listen = options.broker ?? { host: '127.0.0.1', port: 1883 };
      broker = await EmbeddedBroker.start(
        { ...listen, limits: { maxPacketBytes: profile.limits.broker.maxPacketBytes, maxClients: fleet.count + BROKER_CLIENTS_BEYOND_DEVICES } },
        options.logger.child({ component: 'fleet-broker' }),
      );
    }
    const created = new Fleet(options, clock, broker);
    try {
      for (let i = fleet.first; i < fleet.first + fleet.count; i++) await created.add(i);
    } catch (error) {
      await created.stop();
      throw error;
    }
    return created;
  }

  /** The MQTT URL every device uses, or 'off'. */
  private mqttUrl(): string {
    const { mqtt, profile } = this.options;
    if (this.broker) return `mqtt://${connectHost(this.options.broker?.host ?? '127.0.0.1')}:${this.broker.port}`;
    if (mqtt === 'profile') return profile.mqtt.enabled ? profile.mqtt.url : 'off';
    return mqtt;
  }

  /** Builds and starts device `index`; a start that fails names the device and leaves nothing of it running. */
  async add(index: number): Promise<FleetMember> {
    if (this.stopped) throw new SimError('CLI_USAGE', 'the fleet is stopped');
    if (this.members.has(index)) throw new SimError('PROFILE_INVALID', `fleet: device ${index} already runs`);
    const { profile, fleet, logger } = this.options;
    const identity = identityAt(profile, fleet, index);
    const own = structuredClone(profile);
    own.device = identity.device;
    if (identity.mqttClientId !== null) own.mqtt.clientId = identity.mqttClientId;
    const listen = listenAt(fleet.addressing, index - fleet.first);
    const name = identity.device.name;
    const emulator = await Emulator.start({
      profile: own,
      profileFile: this.options.profileFile,
      ...listen,
      mqtt: this.mqttUrl(),
      clock: this.clock,
      seed: deriveSeed(this.options.seed, `device:${index}`),
      logger: logger.child({ device: name }),
      journalCapacity: fleet.journalCapacity,
    }).catch((error: unknown) => {
      // Keep the code (bad profile: exit 2; a port taken: exit 1), name the device.
      const message = `fleet device ${index} (${name}) did not start: ${(error as Error).message}`;
      throw isSimError(error) ? new SimError(error.code, message, { cause: error, context: { ...error.context, index } }) : new Error(message, { cause: error });
    });
    const member: FleetMember = { index, name, serialNumber: identity.device.serialNumber, mac: identity.device.mac, ip: identity.device.ip, addresses: emulator.addresses };
    this.members.set(index, { emulator, member });
    return member;
  }

  /** Stops device `index`; false if it does not run. */
  async remove(index: number): Promise<boolean> {
    const found = this.members.get(index);
    if (!found) return false;
    this.members.delete(index);
    await found.emulator.stop();
    return true;
  }

  /** The running devices, by index. */
  list(): FleetMember[] {
    return [...this.members.values()].map((m) => m.member).sort((a, b) => a.index - b.index);
  }

  device(index: number): Emulator | undefined {
    return this.members.get(index)?.emulator;
  }

  /** Stops every device, then the broker; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const { emulator } of [...this.members.values()].reverse()) {
      try {
        await emulator.stop();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'a fleet device did not stop cleanly');
      }
    }
    this.members.clear();
    await this.broker?.close();
  }
}
