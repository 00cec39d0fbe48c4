/**
 * The SNMPv3 engine id: stable across restarts, as managers cache it with the users' localized
 * keys. RFC 3411 format 3 (MAC address) under Moxa's enterprise number 8691 (0x21F3):
 * 80 00 21 F3 03 <mac>. With a data dir it is written there on first start and read back after,
 * so a changed MAC in the profile does not change it under a manager's feet.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../config/atomic-write.js';
import { MAX_ENGINE_BOOTS } from './usm.js';

export const ENGINE_ID_FILE = 'snmp-engine-id';

export function engineIdFromMac(mac: string): string {
  return `800021f303${mac.replace(/:/g, '').toLowerCase()}`;
}

/**
 * The saved engine id, else the one derived from the MAC (then saved). A file that holds no
 * engine id is a warning: replacing it changes the id under every manager that cached it.
 */
export async function loadEngineId(mac: string, dataDir: string | undefined, logger: Logger): Promise<string> {
  const derived = engineIdFromMac(mac);
  if (!dataDir) return derived;
  const file = join(dataDir, ENGINE_ID_FILE);
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{10,64}$/.test(saved)) return saved;
    logger.warn({ file, content: saved.slice(0, 80), engineId: derived }, 'the saved snmpEngineID is not an engine id (10-64 hex digits); using the one derived from the MAC');
  } catch (error) {
    // No file: the first start with this data dir, which keeps the derived one.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: error, engineId: derived }, 'the saved snmpEngineID cannot be read; using the one derived from the MAC');
  }
  await writeFileAtomic(file, `${derived}\n`);
  return derived;
}

export const ENGINE_BOOTS_FILE = 'snmp-engine-boots';

/**
 * snmpEngineBoots for this start (RFC 3414 §2.2.2): one more than the last start's with a data
 * dir, so a manager that cached the engine's time after a restart takes the agent's
 * notInTimeWindow report (whose boots must be higher than the cached ones, §3.2 step 7b) and
 * resynchronises; 1 without one. It latches at MAX_ENGINE_BOOTS: the one place the count is
 * clamped (the service takes it as given). A file that holds no count (not a positive integer,
 * or unreadable) is a warning and counts as a fresh start, as a missing one does.
 */
export async function loadEngineBoots(dataDir: string | undefined, logger: Logger): Promise<number> {
  if (!dataDir) return 1;
  const file = join(dataDir, ENGINE_BOOTS_FILE);
  let last = 0;
  try {
    const text = (await readFile(file, 'utf8')).trim();
    const saved = Number(text);
    if (/^[0-9]+$/.test(text) && Number.isSafeInteger(saved) && saved > 0) last = saved;
    else logger.warn({ file, content: text.slice(0, 32) }, 'the saved snmpEngineBoots is not a count; counting from a fresh start');
  } catch (error) {
    // No file: the first start with this data dir.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: error }, 'the saved snmpEngineBoots cannot be read; counting from a fresh start');
  }
  const boots = Math.min(last + 1, MAX_ENGINE_BOOTS);
  await writeFileAtomic(file, `${boots}\n`);
  return boots;
}
