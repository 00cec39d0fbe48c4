/**
 * The running config in the data dir: what the emulator runs now, kept across restarts.
 * Written with write-temp-fsync-rename (atomic-write.ts), so a kill -9 at any moment leaves the
 * old file or the new one. A file that does not parse or validate stops the start with the
 * file and path named: never a silent reset to the profile.
 */
import { access, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SimError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { loadProfile } from './load.js';
import type { Profile } from './profile.js';

export const RUNNING_CONFIG = 'running-config.yaml';

export class ConfigStore {
  readonly file: string;

  constructor(readonly dataDir: string) {
    this.file = join(dataDir, RUNNING_CONFIG);
  }

  /** The saved running config, or undefined when there is none; throws PROFILE_* if it is broken. */
  async load(): Promise<Profile | undefined> {
    await this.removeStaleTemps();
    try {
      await access(this.file);
    } catch {
      return undefined;
    }
    return loadProfile(this.file);
  }

  /** Whether a running config is saved (the start then runs it instead of the profile). */
  async exists(): Promise<boolean> {
    try {
      await access(this.file);
      return true;
    } catch {
      return false;
    }
  }

  async save(profile: Profile): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const header = '# The running config of iothinx-sim, written by the emulator. Delete it (or POST /sim/v1/reset) to go back to the profile.\n';
    // JSON, which is YAML 1.2 (loadProfile reads it as any profile): the yaml package took 3 ms
    // a write for the default profile, JSON.stringify 0.03 ms, and under a flood of runtime edits
    // (#14 soak: an IP-list edit every 20 ms) that was 5-15% of the event loop.
    await writeFileAtomic(this.file, `${header}${JSON.stringify(profile, null, 2)}\n`);
  }

  /** Forgets the running config (back to the profile file), durably: the directory is fsynced too. */
  async clear(): Promise<void> {
    try {
      await mkdir(this.dataDir, { recursive: true });
      await rm(this.file, { force: true });
      const dir = await open(this.dataDir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      throw new SimError('CONFIG_WRITE_FAILED', `could not remove ${this.file}: ${(error as Error).message}`, { cause: error, context: { path: this.file } });
    }
  }

  /**
   * A kill -9 in the middle of a write leaves its temp file behind (never the target half-written):
   * any file of the data dir's (running config, DI counters, SNMP engine id and boots), so every
   * `.NAME.….tmp` goes, before this start writes anything.
   */
  private async removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dataDir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => rm(join(this.dataDir, n), { force: true })));
  }
}
