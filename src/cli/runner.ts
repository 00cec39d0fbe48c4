/**
 * Keeps one Emulator running and owns its running config: persists it in the data dir, and
 * applies a replaced config (or a reset to the profile file) by stopping the emulator and
 * starting a new one in-process on the same addresses, as the real device restarts to apply
 * settings. Implements the emulator API's ConfigControl.
 */
import type { Logger } from 'pino';
import { loadProfile } from '../config/load.js';
import type { Profile } from '../config/profile.js';
import type { ConfigStore } from '../config/store.js';
import type { ConfigControl } from '../http/options.js';
import type { ListenAddress } from './args.js';
import { checkServices } from './check.js';
import { Emulator, type EmulatorAddresses } from './emulator.js';

export interface RunnerOptions {
  /** The profile file the emulator was started with; reset goes back to it. */
  profileFile: string;
  /** The config to run: the data dir's running config if there is one, else the profile. */
  profile: Profile;
  store: ConfigStore | undefined;
  http: ListenAddress | null;
  https: ListenAddress | null;
  modbus: ListenAddress | null;
  mqtt: string;
  broker: ListenAddress | null;
  snmp: ListenAddress | null;
  dataDir: string | undefined;
  clock: 'real' | 'manual';
  seed: number;
  logger: Logger;
}

function bound(requested: ListenAddress | null, actual: string | null): ListenAddress | null {
  if (!requested || !actual) return requested;
  return { host: requested.host, port: Number(actual.slice(actual.lastIndexOf(':') + 1)) };
}

export class Runner implements ConfigControl {
  private emulator!: Emulator;
  private running: Profile;
  private listen: { http: ListenAddress | null; https: ListenAddress | null; modbus: ListenAddress | null; broker: ListenAddress | null; snmp: ListenAddress | null };
  /** Saves and restarts run one at a time, in the order they were asked for. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly options: RunnerOptions) {
    this.running = options.profile;
    this.listen = { http: options.http, https: options.https, modbus: options.modbus, broker: options.broker, snmp: options.snmp };
  }

  static async start(options: RunnerOptions): Promise<Runner> {
    const runner = new Runner(options);
    runner.emulator = await runner.startEmulator();
    // Restarts bind the ports the first start got, so port 0 does not move the device.
    const a = runner.emulator.addresses;
    runner.listen = {
      http: bound(options.http, a.http),
      https: bound(options.https, a.https),
      modbus: bound(options.modbus, a.modbus),
      broker: bound(options.broker, a.broker),
      snmp: bound(options.snmp, a.snmp),
    };
    return runner;
  }

  get addresses(): EmulatorAddresses {
    return this.emulator.addresses;
  }

  /** The emulator now running; replaced on every restart. */
  get emulatorNow(): Emulator {
    return this.emulator;
  }

  get persistent(): boolean {
    return this.options.store !== undefined;
  }

  current(): Profile {
    return this.running;
  }

  async replace(profile: Profile): Promise<() => Promise<void>> {
    checkServices('PUT /sim/v1/config', profile);
    await this.serial(async () => this.options.store?.save(profile));
    return () => this.serial(() => this.restart(profile));
  }

  async reset(): Promise<() => Promise<void>> {
    const profile = checkServices(this.options.profileFile, await loadProfile(this.options.profileFile));
    await this.serial(async () => this.options.store?.clear());
    return () => this.serial(() => this.restart(profile));
  }

  changed(): void {
    const store = this.options.store;
    if (!store) return;
    const profile = this.running;
    void this.serial(() => store.save(profile)).catch((error: unknown) => this.options.logger.error({ err: error }, 'could not persist the running config'));
  }

  async stop(): Promise<void> {
    await this.serial(() => this.emulator.stop());
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async restart(profile: Profile): Promise<void> {
    const logger = this.options.logger;
    logger.info('applying the new config: restarting in-process');
    await this.emulator.stop();
    const previous = this.running;
    this.running = profile;
    try {
      this.emulator = await this.startEmulator();
    } catch (error) {
      // The new config validated but could not start (a port taken meanwhile, say): keep serving the old one.
      logger.error({ err: error }, 'the new config did not start; going back to the previous one');
      this.running = previous;
      this.emulator = await this.startEmulator();
    }
  }

  private certificateSource = '';

  private async startEmulator(): Promise<Emulator> {
    const o = this.options;
    const emulator = await Emulator.start({
      profile: this.running,
      profileFile: o.profileFile,
      dataDir: o.dataDir,
      http: this.listen.http,
      https: this.listen.https,
      modbus: this.listen.modbus,
      mqtt: o.mqtt,
      broker: this.listen.broker,
      snmp: this.listen.snmp,
      clock: o.clock,
      seed: o.seed,
      logger: o.logger,
      config: this,
      // Same certificate across restarts, unless the new config names other files.
      certificate: this.emulator?.certificate && this.certificateSource === JSON.stringify(this.running.http.https) ? this.emulator.certificate : undefined,
    });
    this.certificateSource = JSON.stringify(this.running.http.https);
    return emulator;
  }
}
