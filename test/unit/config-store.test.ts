import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/config/store.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

describe('ConfigStore.load', () => {
  it("removes the temp files a killed write of any data-dir file left, and nothing else", async () => {
    const dir = await tempDir();
    const left = ['.running-config.yaml.123.1.abc.tmp', '.di-counters.json.123.2.def.tmp', '.snmp-engine-boots.123.3.ghi.tmp'];
    const kept = ['di-counters.json', 'snmp-engine-id', 'notes.tmp', '.hidden'];
    for (const name of [...left, ...kept]) await writeFile(join(dir, name), 'x');
    expect(await new ConfigStore(dir).load()).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
  });
});
