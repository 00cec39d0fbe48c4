/**
 * Keeps one Emulator running and owns its running config. Every change goes through one
 * ConfigWriter (src/config/writer.ts), so it is on disk before it is answered or in force, and
 * no change can write an older config over a newer one (issue #14 points 2-4):
 *
 *   PUT/PATCH /config, reset ─► check as a start would ─┐
 *   IP list, base addresses, accounts ──────────────────┴─► writer ─► disk ─► committed state
 *                                                                               │
 *        runtime edit, same generation as the emulator ─► put in force at once ◄┤
 *        whole new config (a new generation) ─► restart after the response ◄────┘
 *
 * A restart stops the emulator and starts a new one in-process on the same addresses, as the
 * real device restarts to apply settings, always outside any request's actor context (point 18).
 * If the new config still fails to start (a port taken meanwhile), the previous one runs again
 * and is written back, so the data dir always starts (point 5). Implements ConfigControl.
 */
import type { Logger } from 'pino';
import { loadProfile } from '../config/load.js';
import type { Profile } from '../config/profile.js';
import type { ConfigStore } from '../config/store.js';
import { ConfigWriter } from '../config/writer.js';
import { actors } from '../device/actor.js';
import type { ConfigApplied, ConfigControl } from '../config/contract.js';
import { checkServices, checkStartable } from './check.js';
import { Emulator, type EmulatorAddresses, type ListenAddress } from './emulator.js';

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
  /** Names the HTTP API is served under beyond limits.http.allowedHosts (IOTHINX_SIM_ALLOWED_HOSTS); not part of the config. */
  servedHosts?: readonly string[];
}

/** What the writer keeps: the config, where it lives, and which whole config it descends from. */
interface State {
  profile: Profile;
  /** false: nothing in the data dir, the profile file rules (after a reset, or never changed). */
  saved: boolean;
  /** Counts whole-config changes (PUT, PATCH, reset); the emulator runs one generation. */
  generation: number;
}

/** The request label in messages about a config sent over the API. */
const REQUEST = 'PUT /sim/v1/config';

function bound(requested: ListenAddress | null, actual: string | null): ListenAddress | null {
  if (!requested || !actual) return requested;
  return { host: requested.host, port: Number(actual.slice(actual.lastIndexOf(':') + 1)) };
}

export class Runner implements ConfigControl {
  private emulator!: Emulator;
  private readonly writer: ConfigWriter<State>;
  /** The state the emulator runs: its generation, with the runtime edits put in force since. */
  private live: State;
  private listen: { http: ListenAddress | null; https: ListenAddress | null; modbus: ListenAddress | null; broker: ListenAddress | null; snmp: ListenAddress | null };
  /** Restarts and the stop run one at a time, in the order they were asked for. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly options: RunnerOptions, saved: boolean) {
    this.live = { profile: options.profile, saved, generation: 0 };
    this.listen = { http: options.http, https: options.https, modbus: options.modbus, broker: options.broker, snmp: options.snmp };
    const store = options.store;
    this.writer = new ConfigWriter<State>(this.live, {
      persist: async (state) => {
        if (!store) return;
        if (state.saved) await store.save(state.profile);
        else await store.clear();
      },
      onCommit: (state) => this.committed(state),
      onWriteFailed: (error, edits) => {
        this.emulator.device.refusals.count('config_write_failed', edits);
        options.logger.error({ err: error, edits }, 'could not write the running config; the changes it carried are refused');
      },
    });
  }

  static async start(options: RunnerOptions): Promise<Runner> {
    const runner = new Runner(options, (await options.store?.exists()) ?? false);
    runner.emulator = await runner.startEmulator(runner.live.profile);
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

  /** The latest config on disk (the one GET /sim/v1/config shows). */
  current(): Profile {
    return this.writer.state.profile;
  }

  async replace(next: (current: Profile) => Profile): Promise<ConfigApplied> {
    const state = await this.submit(async (s) => ({ profile: await this.check(REQUEST, next(s.profile)), saved: true, generation: s.generation + 1 }));
    return { config: state.profile, apply: () => this.restart() };
  }

  async reset(): Promise<ConfigApplied> {
    const file = this.options.profileFile;
    const state = await this.submit(async (s) => ({ profile: await this.check(file, await loadProfile(file)), saved: false, generation: s.generation + 1 }));
    return { config: state.profile, apply: () => this.restart() };
  }

  async edit(change: (current: Profile) => Profile): Promise<Profile> {
    const state = await this.submit((s) => {
      const profile = change(s.profile);
      // Base addresses are checked against the emulator's rail by the Modbus service; a whole
      // new config waiting for its restart may have another rail, so check against that one too.
      if (s.generation !== this.live.generation && profile.modbus.baseAddresses !== s.profile.modbus.baseAddresses) checkServices(REQUEST, profile);
      return { profile, saved: true, generation: s.generation };
    });
    return state.profile;
  }

  /** Stops the emulator, then lets the writer finish what it was given (SIGTERM: flush, persist). */
  async stop(): Promise<void> {
    await this.serial(async () => {
      await this.emulator.stop();
      await this.writer.idle();
    });
  }

  /** The writer runs outside the caller's actor context: its work belongs to no request. */
  private submit(edit: (state: State) => State | Promise<State>): Promise<State> {
    return actors.exit(() => this.writer.submit(edit));
  }

  /** Everything a start would refuse that the config decides (files, services), as 400 naming the field. */
  private check(file: string, profile: Profile): Promise<Profile> {
    return checkStartable(file, profile, { profileFile: this.options.profileFile, https: this.listen.https !== null, mqtt: this.options.mqtt });
  }

  /** A state is on disk: runtime edits of the generation running go in force now; a new generation waits for its restart. */
  private committed(state: State): void {
    if (state.generation === this.live.generation) this.putInForce(state);
  }

  /** The runtime sections (accessible-IP list, base addresses, accounts) of `state` into the running emulator. */
  private putInForce(state: State): void {
    const emulator = this.emulator;
    this.live = state;
    try {
      emulator.putInForce(state.profile);
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not put a runtime change in force');
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Runs the latest config on disk, if the emulator does not run its generation yet. Called by
   * the route once its response is out, outside the request's actor context: the new emulator's
   * timers must not carry the peer of the client that caused the restart (point 18).
   */
  private restart(): Promise<void> {
    return actors.exit(() =>
      this.serial(() => this.runLatest()).catch((error: unknown) => {
        this.options.logger.fatal({ err: error }, 'neither the new config nor the previous one started; stop and start the emulator');
      }),
    );
  }

  private async runLatest(): Promise<void> {
    const target = this.writer.state;
    if (target.generation === this.live.generation) return;
    const logger = this.options.logger;
    logger.info('applying the new config: restarting in-process');
    const previous = this.live;
    await this.emulator.stop();
    try {
      this.emulator = await this.startEmulator(target.profile);
      this.live = target;
    } catch (error) {
      // Checked before it was written, yet it did not start (a port taken meanwhile, say): run
      // the previous config again and write it back, so the data dir starts next time too.
      logger.error({ err: error }, 'the new config did not start; going back to the previous one and writing it back');
      const back = await this.writer
        .submit((s) => ({ ...previous, generation: s.generation + 1 }))
        .catch((writeError: unknown) => {
          logger.error({ err: writeError }, 'could not write the previous config back');
          return { ...previous, generation: this.writer.state.generation };
        });
      this.emulator = await this.startEmulator(back.profile);
      this.live = back;
    }
    // Runtime edits written while the emulator started are in the writer's state: put them in force.
    if (this.writer.state.generation === this.live.generation) this.putInForce(this.writer.state);
  }

  private certificateSource = '';

  private async startEmulator(profile: Profile): Promise<Emulator> {
    const o = this.options;
    // Its own copy: put-in-force changes the emulator's sections, never a state the writer keeps.
    const running = structuredClone(profile);
    const emulator = await Emulator.start({
      profile: running,
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
      servedHosts: o.servedHosts,
      // Same certificate across restarts, unless the new config names other files.
      certificate: this.emulator?.certificate && this.certificateSource === JSON.stringify(running.http.https) ? this.emulator.certificate : undefined,
    });
    this.certificateSource = JSON.stringify(running.http.https);
    return emulator;
  }
}
