import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatProblem } from '../config/load.js';
import type { Profile } from '../config/profile.js';
import { ManualClock } from '../device/clock.js';
import { Device } from '../device/device.js';
import { isSimError, SimError } from '../errors.js';
import { loadOrCreateCertificate } from '../http/tls.js';
import { checkMqttTopics } from '../mqtt/topics.js';
import { parseTcpPort, portKind } from '../serial/transport.js';
import { loadDefinition } from './field-devices.js';
import { AddressMap, type MapRow } from '../modbus/address-map.js';

/** The Modbus address table of a profile, without starting anything (`iothinx-sim map`, checks). */
export function mapRows(profile: Profile): MapRow[] {
  const device = new Device(profile, new ManualClock());
  try {
    return new AddressMap(device, profile.modbus).rows;
  } finally {
    device.dispose();
  }
}

/**
 * Rules that need a service's own model (the Modbus address map: base-address overlaps; MQTT
 * topic rules against the rail: the 256-topic limit), run
 * after the schema so `validate`, `start`, `map` and PUT /sim/v1/config report them alike, with
 * the file (or request) and the path.
 */
export function checkServices(file: string, profile: Profile): Profile {
  const issues: { path: (string | number)[]; message: string }[] = [];
  try {
    mapRows(profile);
  } catch (error) {
    const mapIssues = isSimError(error, 'PROFILE_INVALID') ? (error.context.issues as typeof issues | undefined) : undefined;
    if (!mapIssues) throw error;
    issues.push(...mapIssues);
  }
  issues.push(...checkMqttTopics(profile));
  issues.push(...checkFieldDevices(file, profile));
  issues.push(...checkSnmpTraps(profile));
  if (issues.length > 0) throw problemsError(file, issues);
  return profile;
}

type Issue = { path: (string | number)[]; message: string };

/** How the emulator is started: what decides which files a start reads. */
export interface StartContext {
  /** The profile file given at start: relative HTTPS and MQTT TLS paths resolve against its folder. */
  profileFile: string;
  /** Whether HTTPS listens (start --https): only then are http.https.cert and key read. */
  https: boolean;
  /** --mqtt: off, profile, embedded or a URL. */
  mqtt: string;
}

/**
 * Everything Emulator.start refuses that the config alone decides, checked before a new config
 * is persisted (issue #14 point 5: a config that validates but cannot start must never reach
 * the data dir): checkServices, then the HTTPS certificate and key (read, parsed, and belonging
 * together), the MQTT TLS files, and tcp:// serial ports. Throws PROFILE_INVALID naming each
 * field at fault. What only the moment decides (a port taken) is left to the start itself.
 */
export async function checkStartable(file: string, profile: Profile, context: StartContext): Promise<Profile> {
  checkServices(file, profile);
  const base = dirname(context.profileFile);
  const resolveFile = (f: string) => resolve(base, f); // an absolute f stays as it is
  const issues: Issue[] = [];
  const https = profile.http.https;
  if (context.https && https.enabled && (https.cert !== null || https.key !== null)) {
    const certFile = https.cert === null ? null : resolveFile(https.cert);
    const keyFile = https.key === null ? null : resolveFile(https.key);
    try {
      await loadOrCreateCertificate({ certFile, keyFile });
    } catch (error) {
      if (!isSimError(error, 'TLS_CERT_INVALID')) throw error;
      // The file at fault, or (only one of the two given) the one missing.
      const at = error.context.file;
      const field = at === undefined ? (certFile === null ? 'cert' : 'key') : at === keyFile && at !== certFile ? 'key' : 'cert';
      issues.push({ path: ['http', 'https', field], message: error.message });
    }
  }
  const mqttOn = context.mqtt !== 'off' && (context.mqtt !== 'profile' || profile.mqtt.enabled);
  const url = context.mqtt === 'profile' ? profile.mqtt.url : context.mqtt;
  if (mqttOn && /^(mqtts|wss):/.test(url)) {
    for (const key of ['ca', 'cert', 'key'] as const) {
      const name = profile.mqtt.tls[key];
      if (name === null) continue;
      try {
        await readFile(resolveFile(name));
      } catch (error) {
        issues.push({ path: ['mqtt', 'tls', key], message: `cannot read ${resolveFile(name)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      }
    }
  }
  const ports: [(string | number)[], string | null][] = [[['serial', 'port'], profile.serial.port], ...profile.serial.fieldDevices.map((d, i): [(string | number)[], string | null] => [['serial', 'fieldDevices', i, 'port'], d.port])];
  for (const [path, port] of ports) {
    if (port === null || portKind(port) !== 'tcp') continue;
    try {
      parseTcpPort(port);
    } catch (error) {
      if (!isSimError(error)) throw error;
      issues.push({ path, message: error.message });
    }
  }
  if (issues.length > 0) throw problemsError(file, issues);
  return profile;
}

/** Every SNMP trap entry watches a channel or IR of this rail, and an attribute it has. */
function checkSnmpTraps(profile: Profile): Issue[] {
  if (profile.snmp.traps.length === 0) return [];
  const device = new Device(profile, new ManualClock());
  try {
    return profile.snmp.traps.flatMap((trap, i): Issue[] => {
      const channel = device.findChannelRef(trap.source);
      if (!channel) return [{ path: ['snmp', 'traps', i, 'source'], message: `no channel or internal register ${trap.source} (slot/index, an ioName, or BIR-00 ...)` }];
      if (trap.attribute !== undefined && !channel.hasAttribute(trap.attribute)) {
        return [{ path: ['snmp', 'traps', i, 'attribute'], message: `${channel.ioName} has no attribute ${trap.attribute}; it has ${channel.attributes.map((a) => a.name).join(', ')}` }];
      }
      return [];
    });
  } finally {
    device.dispose();
  }
}

/** Each field device's definition loads, and no two on one bus answer to the same slave id. */
function checkFieldDevices(file: string, profile: Profile): Issue[] {
  const issues: Issue[] = [];
  const idsByBus = new Map<string, string>();
  profile.serial.fieldDevices.forEach((ref, i) => {
    try {
      const definition = loadDefinition(ref, i, file);
      const slaveId = ref.slaveId ?? definition.defaultSlaveId;
      const key = `${ref.port ?? 'bus'}#${slaveId}`;
      const other = idsByBus.get(key);
      if (other) issues.push({ path: ['serial', 'fieldDevices', i, 'slaveId'], message: `slave id ${slaveId} is taken by ${other} on the same bus` });
      idsByBus.set(key, ref.name);
    } catch (error) {
      const definitionIssues = isSimError(error, 'PROFILE_INVALID') ? (error.context.issues as Issue[] | undefined) : undefined;
      if (!definitionIssues) throw error;
      issues.push(...definitionIssues);
    }
  });
  return issues;
}

function problemsError(file: string, issues: readonly Issue[]): SimError {
  const problems = issues.map((i) => ({ file, path: i.path.join('.'), message: i.message }));
  return new SimError('PROFILE_INVALID', problems.map(formatProblem).join('\n'), { context: { problems, path: problems[0]?.path ?? null } });
}

/**
 * A service that refuses its config section while starting (the address map, the MQTT topic
 * table) reports issues without a file; name it, so a start reports exactly what `validate`
 * would, without building every service's model twice.
 */
export function inFile(file: string, error: unknown): unknown {
  const issues = isSimError(error, 'PROFILE_INVALID') ? (error.context.issues as Issue[] | undefined) : undefined;
  return issues ? problemsError(file, issues) : error;
}
