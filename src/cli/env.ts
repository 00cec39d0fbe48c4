/**
 * Environment variables for the common flags of `start` and `fleet` (#17), so that a container,
 * a CI service or a supervisor configures the emulator without a command line of its own
 * (docs/container.md lists them). A variable gives a flag's value when the command line does
 * not: its flags go before the command line's, and for a flag given twice the last one wins
 * (node:util parseArgs), so a flag always overrides the environment.
 *
 *   IOTHINX_SIM_MODBUS=0.0.0.0:502  +  start --http 0.0.0.0:8080
 *     ─► start --modbus 0.0.0.0:502 --http 0.0.0.0:8080
 */
import { isSimError, SimError } from '../errors.js';
import { withoutCredentials } from '../net-address.js';

/** A flag that takes a value, or a boolean flag (`1`/`true`/`yes` sets it, `0`/`false`/`no`/empty leaves it unset). */
type EnvFlag = { flag: string; boolean?: true };
export type EnvTable = Readonly<Record<string, EnvFlag>>;

const COMMON: EnvTable = {
  IOTHINX_SIM_PROFILE: { flag: 'profile' },
  IOTHINX_SIM_HTTP: { flag: 'http' },
  IOTHINX_SIM_MQTT: { flag: 'mqtt' },
  IOTHINX_SIM_BROKER: { flag: 'broker' },
  IOTHINX_SIM_CLOCK: { flag: 'clock' },
  IOTHINX_SIM_SEED: { flag: 'seed' },
  IOTHINX_SIM_SCENARIO: { flag: 'scenario' },
  IOTHINX_SIM_READY_FILE: { flag: 'ready-file' },
  IOTHINX_SIM_LOG_LEVEL: { flag: 'log-level' },
  IOTHINX_SIM_QUIET: { flag: 'quiet', boolean: true },
};

/** `iothinx-sim start`. */
export const START_ENV: EnvTable = {
  ...COMMON,
  IOTHINX_SIM_DATA_DIR: { flag: 'data-dir' },
  IOTHINX_SIM_MODBUS: { flag: 'modbus' },
  IOTHINX_SIM_HTTPS: { flag: 'https' },
  IOTHINX_SIM_SNMP: { flag: 'snmp' },
};

/** `iothinx-sim fleet` (IOTHINX_SIM_FLEET_FIRST is read by the fleet command itself, args.ts). */
export const FLEET_ENV: EnvTable = {
  ...COMMON,
  IOTHINX_SIM_FLEET_COUNT: { flag: 'count' },
  IOTHINX_SIM_FLEET_ADDRESSING: { flag: 'addressing' },
  IOTHINX_SIM_FLEET_HOST: { flag: 'host' },
  IOTHINX_SIM_FLEET_GATEWAY: { flag: 'gateway' },
  IOTHINX_SIM_FLEET_DEVICE_HTTP: { flag: 'device-http', boolean: true },
};

/** Host names added to the profile's `limits.http.allowedHosts` (comma-separated), e.g. a compose service name. */
export const ALLOWED_HOSTS_ENV = 'IOTHINX_SIM_ALLOWED_HOSTS';

const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['', '0', 'false', 'no']);

function usage(message: string): SimError {
  return new SimError('CLI_USAGE', message);
}

/** The command line with the environment's flags in front; `used` names the variables taken, for error messages. */
export function withEnv(argv: readonly string[], table: EnvTable, env: NodeJS.ProcessEnv = process.env): { argv: string[]; used: string[] } {
  const flags: string[] = [];
  const used: string[] = [];
  for (const [name, { flag, boolean }] of Object.entries(table)) {
    const value = env[name];
    if (value === undefined) continue;
    if (boolean) {
      const word = value.trim().toLowerCase();
      if (!TRUE.has(word) && !FALSE.has(word)) throw usage(`${name}: expected 1, true, yes, 0, false or no, got "${value}"`);
      if (TRUE.has(word)) flags.push(`--${flag}`);
    } else {
      // Set but empty: as if unset, so `-e IOTHINX_SIM_HTTP=` does not clear a default by accident.
      if (value === '') continue;
      flags.push(`--${flag}=${value}`);
    }
    // Echoed in a usage error: a broker URL's password is not.
    used.push(`${name}=${withoutCredentials(value)}`);
  }
  return { argv: [...flags, ...argv], used };
}

/** Runs a parser on the command line and the environment; a usage error then also names the variables that were set. */
export function parseWithEnv<T>(argv: readonly string[], table: EnvTable, parse: (argv: string[]) => T, env: NodeJS.ProcessEnv = process.env): T {
  const { argv: all, used } = withEnv(argv, table, env);
  try {
    return parse(all);
  } catch (error) {
    if (used.length > 0 && isSimError(error, 'CLI_USAGE')) {
      throw new SimError('CLI_USAGE', `${error.message}\n(flags from the environment: ${used.join(' ')})`, { cause: error });
    }
    throw error;
  }
}

/**
 * IOTHINX_SIM_ALLOWED_HOSTS as a list (empty when unset): names this process is served under (a
 * container's service name), passed to the HTTP Host check beside the config's
 * limits.http.allowedHosts and never written into it, so a saved config does not keep them.
 * Bounded as that list is: 64 names of at most 253 characters.
 */
export function allowedHostsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const hosts = [
    ...new Set(
      (env[ALLOWED_HOSTS_ENV] ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    ),
  ];
  if (hosts.length > 64) throw usage(`${ALLOWED_HOSTS_ENV}: at most 64 names, got ${hosts.length}`);
  for (const host of hosts) if (host.length > 253) throw usage(`${ALLOWED_HOSTS_ENV}: "${host.slice(0, 40)}...": a host name has at most 253 characters`);
  return hosts;
}
