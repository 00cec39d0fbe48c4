/**
 * Write-temp, fsync, rename, fsync-the-directory: after a crash at any moment the target holds
 * either the old or the new content, never a mix (POSIX rename is atomic within a filesystem).
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SimError } from '../errors.js';

/** @param mode the new file's permissions, e.g. 0o600 for a private key (default 0o644). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, { mode = 0o644 }: { mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw new SimError('CONFIG_WRITE_FAILED', `could not write ${path}: ${(error as Error).message}`, { cause: error, context: { path } });
  }
}
