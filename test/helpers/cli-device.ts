/**
 * The built CLI running the default profile on a manual clock, for interop tests with third-party
 * Modbus clients: ports from the ready file, addresses from GET /sim/v1/modbus/map (never
 * hard-coded), and small /sim/v1 helpers. Stop it with cleanupProcesses() from process.ts.
 */
import { execFile } from 'node:child_process';
import { startCli } from './process.js';

import type { MapRow } from '../../src/modbus/address-map.js';

export type { MapRow };

export interface CliDevice {
  /** http://127.0.0.1:PORT/sim/v1 */
  api: string;
  modbusHost: string;
  modbusPort: number;
  map: MapRow[];
  /** The map row of `parameter` for channel `index` of `slot` (by the channel's ioName). */
  row(slot: number, parameter: string, index: number): Promise<MapRow>;
  /** Address of an internal register's value (WIR-05 ...). */
  irRow(ioName: string): MapRow;
  // The emulator API's JSON; a test reads the fields it checks.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

function split(hostPort: string): [string, number] {
  const at = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, at), Number(hostPort.slice(at + 1))];
}

export async function startCliDevice(extraArgs: string[] = []): Promise<CliDevice> {
  const { ready } = await startCli(['--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--clock', 'manual', '--quiet', ...extraArgs]);
  if (!ready.http || !ready.modbus) throw new Error(`ready file without http/modbus: ${JSON.stringify(ready)}`);
  const api = `http://${ready.http}/sim/v1`;
  const [modbusHost, modbusPort] = split(ready.modbus);
  const call: CliDevice['call'] = async (method, path, body) => {
    const res = await fetch(api + path, {
      method,
      headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const map = (await call('GET', '/modbus/map')).body as MapRow[];
  const find = (ioName: string, parameter: string): MapRow => {
    const found = map.find((r) => r.ioName === ioName && r.parameter === parameter);
    if (!found) throw new Error(`no map row for ${ioName} ${parameter}`);
    return found;
  };
  return {
    api,
    modbusHost,
    modbusPort,
    map,
    row: async (slot, parameter, index) => find((await call('GET', `/slots/${slot}/channels/${index}`)).body.ioName as string, parameter),
    irRow: (ioName) => {
      const parameter = { B: 'boolInternalRegister', W: 'wirValue', D: 'dirValue', F: 'firValue' }[ioName[0] as 'B' | 'W' | 'D' | 'F'];
      return find(ioName, parameter);
    },
    call,
  };
}

/** The first address past the end of a table: unmapped (the tables are packed from 0). */
export function unmapped(map: readonly MapRow[], table: MapRow['table']): number {
  return Math.max(...map.filter((r) => r.table === table).map((r) => r.address + r.length));
}

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (killed after timeoutMs), never rejecting on a non-zero exit. */
export function runTool(file: string, args: string[], timeoutMs = 20_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${file} ${args.join(' ')}: ${error.message}; stderr: ${stderr}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
