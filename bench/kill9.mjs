// kill -9 proof (issue #14, "Done when"): N runs of the built CLI on ONE data dir, each killed
// with SIGKILL at a random moment during mixed config and runtime edits; after every restart,
// every acknowledged change must be there, and the data dir must always start.
//
//   data dir ──► iothinx-sim start ──► ready ──► check the config against the model ──► edits ──► kill -9 ─┐
//      ▲                                                                                                   │
//      └───────────────────────────────────────── next run ◄───────────────────────────────────────────────┘
//
// The edits, at the same time, each setting owned by one sequential client:
//   IP list        PUT /sim/v1/modbus/accessible-ips     an entry 10.<n>.0/24
//   base address   PUT /sim/v1/modbus/base-addresses     slot 1 input base 20000 + n
//   device name    PATCH /sim/v1/config (merge patch)    device.name K<n>      (restarts the emulator)
//   serial number  PUT /sim/v1/config (whole document)   device.serialNumber S<n> (restarts; alone:
//                  a whole document carries the other settings too, so it waits for the others'
//                  requests in flight and holds them off, and sends what GET /config showed)
// The two whole-config clients pause a little after each change (each one restarts the emulator).
//
// The model: per setting, the last value answered 2xx, and every value sent after it (a request
// cut by the kill may or may not have been written). After the restart the running config must
// hold the last acknowledged value or one sent after it; anything else is a loss. A run that
// does not start is a failed start; an error answer (4xx/5xx) to one of these valid edits is
// counted too. Prints the figures; exits 1 on any loss, failed start or error answer.
//
//   node bench/kill9.mjs [--runs 100] [--seed 1]        (npm run build first)
import { mkdirSync, mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../dist/sim/random.js';
import { cleanupOnExit, startEmulator, stopAll } from './lib/children.mjs';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' } } });
const RUNS = Number(flags.runs);
/** The kill lands this long after the edits start (uniform), so it falls in writes and restarts alike. */
const KILL_AFTER_MS = [30, 2500];
/** Pause after each whole-config change (it restarts the emulator), so runtime edits get their share of the run. */
const RESTART_PACE_MS = { name: [100, 500], serial: [300, 1000] };
const REQUEST_TIMEOUT_MS = 10_000;

const ipList = (n) => ({ enabled: false, additionalRestrictions: false, entries: [{ ip: `10.${(n >> 8) & 255}.${n & 255}.0`, netmask: '255.255.255.0', active: true }] });
const baseOf = (n) => 20000 + (n % 20000);

/** Each setting: how to send value n, and how to read the value back from a config document. */
const SETTINGS = {
  ip: {
    send: (api, n) => call(api, 'PUT', '/modbus/accessible-ips', ipList(n)),
    read: (config) => config.modbus.accessibleIps.entries[0]?.ip ?? null,
    value: (n) => ipList(n).entries[0].ip,
  },
  base: {
    send: (api, n) => call(api, 'PUT', '/modbus/base-addresses', { overrides: [{ slot: 1, input: baseOf(n) }] }),
    read: (config) => config.modbus.baseAddresses.find((o) => o.slot === 1)?.input ?? null,
    value: baseOf,
  },
  name: {
    send: (api, n) => call(api, 'PATCH', '/config', { device: { name: `K${n}` } }, 'application/merge-patch+json'),
    read: (config) => config.device.name,
    value: (n) => `K${n}`,
  },
  serial: {
    // The whole document, as GET /config shows it now (nothing else is in flight), with one change.
    send: async (api, n) => {
      const got = await call(api, 'GET', '/config');
      if (!got.ok) return got;
      return call(api, 'PUT', '/config', { ...got.body, device: { ...got.body.device, serialNumber: `S${n}` } });
    },
    read: (config) => config.device.serialNumber,
    value: (n) => `S${n}`,
  },
};

async function call(api, method, path, body, type = 'application/json') {
  const res = await fetch(api + path, {
    method,
    headers: { 'content-type': type },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** One setting's model: the last acknowledged value and every value sent since. */
function model() {
  return { acked: undefined, since: [], acks: 0 };
}

/**
 * Shared and exclusive turns: the runtime edits and PATCH share; PUT /config goes alone, once
 * the shared requests in flight have ended.
 */
function gate() {
  let shared = 0;
  /** Settles when the exclusive turn ends; null when there is none. */
  let exclusive = null;
  /** Called when the last shared request ends, while an exclusive turn waits for it. */
  let drained = null;
  return {
    async share(fn) {
      while (exclusive) await exclusive;
      shared++;
      try {
        return await fn();
      } finally {
        shared--;
        if (shared === 0) drained?.();
      }
    },
    async alone(fn) {
      while (exclusive) await exclusive;
      let release;
      exclusive = new Promise((resolve) => (release = resolve));
      try {
        if (shared > 0) await new Promise((resolve) => (drained = resolve));
        drained = null;
        return await fn();
      } finally {
        exclusive = null;
        release();
      }
    },
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-kill9-'));
  const undoCleanup = cleanupOnExit(dir);
  const data = join(dir, 'data');
  // The emulator's own seeded generator (built): the same kill times for the same seed.
  const rand = mulberry32(Number(flags.seed));
  const models = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, model()]));
  let seq = 0;
  const figures = { runs: 0, acknowledged: 0, checks: 0, losses: 0, failedStarts: 0, errors: 0 };
  const lossLines = [];
  const errorLines = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const runDir = join(dir, `run${run}`);
      mkdirSync(runDir);
      let started;
      try {
        started = await startEmulator(runDir, ['--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--clock', 'manual', '--data-dir', data]);
      } catch (error) {
        figures.failedStarts++;
        process.stderr.write(`run ${run}: the data dir did not start: ${error.message}\n`);
        break;
      }
      figures.runs++;
      const { child, info } = started;
      const api = `http://${info.http}/sim/v1`;
      // Every acknowledged change is there (or one sent after it).
      const config = (await call(api, 'GET', '/config')).body;
      for (const [name, setting] of Object.entries(SETTINGS)) {
        const m = models[name];
        const now = setting.read(config);
        if (m.acked !== undefined) {
          figures.checks++;
          if (now !== m.acked && !m.since.includes(now)) {
            figures.losses++;
            lossLines.push(`run ${run}: ${name} is ${JSON.stringify(now)}; acknowledged ${JSON.stringify(m.acked)}, sent since ${JSON.stringify(m.since)}`);
          }
        }
        m.acked = now;
        m.since = [];
      }
      // Mixed edits until the kill.
      let killed = false;
      const turns = gate();
      const worker = async (name) => {
        const setting = SETTINGS[name];
        const m = models[name];
        while (!killed) {
          const n = ++seq;
          m.since.push(setting.value(n));
          const turn = name === 'serial' ? turns.alone.bind(turns) : turns.share.bind(turns);
          const reply = await turn(() => setting.send(api, n)).catch(() => undefined);
          if (reply?.ok) {
            m.acked = setting.value(n);
            m.since = [];
            m.acks++;
            figures.acknowledged++;
            const pace = RESTART_PACE_MS[name];
            if (pace) await sleep(pace[0] + rand() * (pace[1] - pace[0]));
          } else if (!killed && reply === undefined) {
            // Refused connection: the emulator is restarting (a PATCH or PUT); ask again in a moment.
            await sleep(5);
          } else if (reply && !reply.ok && !killed) {
            // Not an answer this workload should get (each value is valid): counted, and the run fails.
            figures.errors++;
            if (errorLines.length < 5) errorLines.push(`run ${run}: ${name} ${n}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
            await sleep(50);
          }
        }
      };
      const workers = Object.keys(SETTINGS).map(worker);
      const killAfter = KILL_AFTER_MS[0] + rand() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]);
      await sleep(killAfter);
      killed = true;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      await Promise.all(workers);
      if (RUNS <= 10 || run % 10 === 0) process.stderr.write(`run ${run}/${RUNS}: killed after ${Math.round(killAfter)} ms; ${figures.acknowledged} acknowledged so far\n`);
    }
  } finally {
    await stopAll();
    undoCleanup();
  }
  const perSetting = Object.entries(models)
    .map(([name, m]) => `${name} ${m.acks}`)
    .join(', ');
  process.stdout.write(
    `kill9: ${figures.runs} runs, ${figures.acknowledged} acknowledged changes (${perSetting}), ` +
      `${figures.checks} checks after restart, ${figures.losses} losses, ${figures.failedStarts} failed starts, ${figures.errors} error answers\n`,
  );
  for (const line of lossLines) process.stdout.write(`  loss: ${line}\n`);
  for (const line of errorLines) process.stdout.write(`  error answer: ${line}\n`);
  process.exitCode = figures.losses > 0 || figures.failedStarts > 0 || figures.errors > 0 || figures.runs < RUNS ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`kill9: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
