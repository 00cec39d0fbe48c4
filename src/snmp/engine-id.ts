/**
 * The SNMPv3 engine id: stable across restarts, as managers cache it with the users' localized
 * keys. RFC 3411 format 3 (MAC address) under Moxa's enterprise number 8691 (0x21F3):
 * 80 00 21 F3 03 <mac>. With a data dir it is written there on first start and read back after,
 * so a changed MAC in the profile does not change it under a manager's feet.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.js';

export const ENGINE_ID_FILE = 'snmp-engine-id';

export function engineIdFromMac(mac: string): string {
  return `800021f303${mac.replace(/:/g, '').toLowerCase()}`;
}

export async function loadEngineId(mac: string, dataDir: string | undefined): Promise<string> {
  const derived = engineIdFromMac(mac);
  if (!dataDir) return derived;
  const file = join(dataDir, ENGINE_ID_FILE);
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{10,64}$/.test(saved)) return saved;
  } catch {
    // First start with this data dir: keep the derived one.
  }
  await writeFileAtomic(file, `${derived}\n`);
  return derived;
}
