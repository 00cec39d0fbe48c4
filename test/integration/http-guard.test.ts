import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Runner } from '../../src/cli/runner.js';
import { profileSchema } from '../../src/config/profile.js';
import { getFrom } from '../helpers/http.js';

let emulator: Runner | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});


async function start(additionalRestrictions: boolean): Promise<string> {
  const profile = profileSchema.parse({
    slots: [{ slot: 1, module: '45MR-1600' }],
    modbus: { accessibleIps: { enabled: true, additionalRestrictions, entries: [{ ip: '127.0.0.2' }] } },
  });
  emulator = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: { host: '127.0.0.1', port: 0 }, https: null, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
  return emulator.addresses.http!;
}

describe('accessible-IP list on HTTP ("additional restrictions")', () => {
  it('closes connections from hosts not on the list, before any response', async () => {
    const http = await start(true);
    expect(await getFrom('127.0.0.2', http, '/sim/v1/health')).toBe(200);
    expect(await getFrom('127.0.0.1', http, '/sim/v1/health')).toBe('ECONNRESET');
  });

  it('leaves HTTP open to everyone without additional restrictions', async () => {
    const http = await start(false);
    expect(await getFrom('127.0.0.1', http, '/sim/v1/health')).toBe(200);
  });
});

describe('in-process restart', () => {
  it('keeps the self-signed HTTPS certificate when the config is replaced', async () => {
    const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], http: { https: { enabled: true } } });
    const runner = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: null, https: { host: '127.0.0.1', port: 0 }, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
    emulator = runner;
    const before = runner.emulatorNow.certificate?.fingerprint256;
    const address = runner.addresses.https;
    expect(before).toMatch(/^[0-9A-F:]+$/);
    const apply = await runner.replace(profileSchema.parse({ ...profile, device: { name: 'Renamed' } }));
    await apply();
    expect(runner.emulatorNow.device.identity.name).toBe('Renamed');
    expect(runner.addresses.https).toBe(address);
    expect(runner.emulatorNow.certificate?.fingerprint256).toBe(before);
  });
});
