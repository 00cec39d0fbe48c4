/**
 * #15: a device is a library object. 50 devices of the default profile built and started in one
 * process through src/app (every service on port 0: HTTP, Modbus/TCP, SNMP, MQTT with its
 * embedded broker, the serial side), each answering on its own ports, then stopped: afterwards
 * the process holds no more handles, timers or process listeners than before.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Emulator } from '../../src/app/emulator.js';
import { loadProfile } from '../../src/config/load.js';

const DEVICES = 50;
const PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const free = { host: '127.0.0.1', port: 0 };
// Made before the baselines: pino registers one process exit hook for its first stdout destination.
const logger = pino({ level: 'silent' });

/** Active handles and requests by kind (TCPServerWrap, Timeout, UDPWrap ...). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection', 'warning'] as const;
function processListeners(): Record<string, number> {
  return Object.fromEntries(PROCESS_EVENTS.map((e) => [e, process.listenerCount(e)]));
}

/** The kinds of which there are more now than `before` (the test runner's own come and go, so fewer is fine). */
function grown(before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(resources()).filter(([kind, n]) => n > (before[kind] ?? 0)));
}

/** What is still more than before once closing sockets have had a few turns (at most 2 s). */
async function leaked(before: Record<string, number>): Promise<Record<string, number>> {
  for (let i = 0; i < 100 && Object.keys(grown(before)).length > 0; i++) await sleep(20);
  return grown(before);
}

describe('many devices in one process (src/app)', () => {
  it(`starts ${DEVICES} devices on their own ports, each answering, and stops them leaving no handle, timer or listener`, async () => {
    const profile = await loadProfile(PROFILE);
    const before = resources();
    const listenersBefore = processListeners();

    const devices: Emulator[] = [];
    try {
      for (let i = 0; i < DEVICES; i++) {
        devices.push(
          await Emulator.start({ profile: structuredClone(profile), profileFile: PROFILE, seed: i + 1, logger, http: free, modbus: free, snmp: free, mqtt: 'embedded', broker: free }),
        );
      }
      const addresses = devices.map((d) => d.addresses);
      for (const kind of ['http', 'modbus', 'snmp', 'broker'] as const) {
        expect(new Set(addresses.map((a) => a[kind])).size, `${kind}: one address per device`).toBe(DEVICES);
        expect(addresses.every((a) => a[kind] !== null)).toBe(true);
      }
      // Each answers on its own HTTP port with its own device, and its MQTT client is connected.
      const health = await Promise.all(addresses.map(async (a) => (await fetch(`http://${a.http}/sim/v1/health`)).status));
      expect(health).toEqual(new Array(DEVICES).fill(200));
      expect(devices.map((d) => d.mqttService?.status().connected)).toEqual(new Array(DEVICES).fill(true));
    } finally {
      for (const device of devices) await device.stop();
    }

    expect(await leaked(before)).toEqual({});
    expect(processListeners()).toEqual(listenersBefore);
  }, 120_000);
});
