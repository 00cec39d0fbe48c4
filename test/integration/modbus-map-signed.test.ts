/**
 * #18: the address map says which values are signed (`signed`, from the device's points: the
 * WORD and DWORD internal registers, M-EZ p=120), in GET /sim/v1/modbus/map as JSON and CSV and
 * in `iothinx-sim map`. The CSV column goes last, so a consumer reading columns by position is
 * not moved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevice, type StartedDevice } from '../../src/testing/index.js';
import { runCli } from '../helpers/process.js';

const SIGNED_PARAMETERS = ['dirValue', 'wirValue'];

describe('the map row field `signed`', () => {
  let device: StartedDevice;
  beforeAll(async () => {
    device = await startDevice({ mode: 'in-process', clock: 'manual' });
  });
  afterAll(() => device?.stop());

  it('GET /sim/v1/modbus/map: true on every internal WORD/DWORD register row (used or not), false elsewhere', async () => {
    const rows = await device.client.modbusMap();
    const signed = rows.filter((r) => r.signed);
    expect([...new Set(signed.map((r) => r.parameter))].sort()).toEqual(SIGNED_PARAMETERS);
    expect(signed).toHaveLength(rows.filter((r) => SIGNED_PARAMETERS.includes(r.parameter)).length);
    expect(rows.find((r) => r.ioName === 'WIR-00')).toMatchObject({ parameter: 'wirValue', table: 'holding', type: 'word', signed: true });
    expect(rows.find((r) => r.parameter === 'diCounterValue')).toMatchObject({ type: 'dword', signed: false });
  });

  it('?format=csv: the old columns in their old places, `signed` last', async () => {
    const res = await fetch(`${device.client.url}/sim/v1/modbus/map?format=csv`);
    const [header, ...lines] = (await res.text()).trimEnd().split('\n');
    expect(header).toBe('slot,ioName,parameter,table,address,length,type,signed');
    expect(lines.find((l) => l.startsWith('0,WIR-00,'))).toBe('0,WIR-00,wirValue,holding,0,1,word,true');
    expect(lines.find((l) => l.includes(',diCounterValue,'))).toMatch(/,dword,false$/);
  });
});

describe('iothinx-sim map', () => {
  it('--format csv and json carry `signed`, the CSV column last', async () => {
    const csv = await runCli(['map', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const [header, ...lines] = csv.stdout.trimEnd().split('\n');
    expect(header).toBe('table,address,length,type,slot,ioName,parameter,signed');
    expect(lines).toContain('holding,0,1,word,0,WIR-00,wirValue,true');
    const json = await runCli(['map', '--format', 'json']);
    const rows = JSON.parse(json.stdout) as { parameter: string; signed: boolean }[];
    expect(rows.every((r) => r.signed === SIGNED_PARAMETERS.includes(r.parameter))).toBe(true);
  });
});
