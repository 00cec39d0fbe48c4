/** The one config writer (src/config/writer.ts): serialized, coalescing, answered once written (#14 points 2-4). */
import { describe, expect, it } from 'vitest';
import { ConfigWriter } from '../../src/config/writer.js';
import { SimError } from '../../src/errors.js';

/** A persist whose writes the test finishes (or fails) one at a time. */
function disk() {
  const writes: { state: number[]; done: () => void; fail: (error: Error) => void }[] = [];
  let notify: (() => void) | undefined;
  return {
    writes,
    persist: (state: number[]) =>
      new Promise<void>((done, fail) => {
        writes.push({ state, done, fail });
        notify?.();
      }),
    /** Resolves once write number n (from 1) has begun. */
    async began(n: number): Promise<void> {
      while (writes.length < n) await new Promise<void>((resolve) => (notify = resolve));
    },
  };
}

const push = (n: number) => (s: number[]) => [...s, n];

describe('ConfigWriter', () => {
  it('#14.4: writes one state at a time; what arrives meanwhile is written together, the latest state, by the next write', async () => {
    const d = disk();
    const committed: number[][] = [];
    const writer = new ConfigWriter<number[]>([], { persist: d.persist, onCommit: (s) => committed.push(s) });
    const first = writer.submit(push(1));
    await d.began(1);
    const rest = [2, 3, 4, 5].map((n) => writer.submit(push(n)));
    expect(d.writes).toHaveLength(1);
    d.writes[0]!.done();
    await first;
    await d.began(2);
    expect(d.writes.map((w) => w.state)).toEqual([[1], [1, 2, 3, 4, 5]]);
    let answered = 0;
    rest.forEach((p) => void p.then(() => answered++));
    await Promise.resolve();
    // #14.3: nobody hears before the write that carries their edit is done, and memory waits too.
    expect(answered).toBe(0);
    expect(writer.state).toEqual([1]);
    d.writes[1]!.done();
    expect(await Promise.all(rest)).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
    expect(committed).toEqual([[1], [1, 2, 3, 4, 5]]);
    await writer.idle();
  });

  it('#14.3: a failed write refuses every edit it carried and leaves the state as on disk; later edits apply on top of that', async () => {
    const d = disk();
    const failures: number[] = [];
    const writer = new ConfigWriter<number[]>([0], { persist: d.persist, onWriteFailed: (_e, edits) => failures.push(edits) });
    const a = writer.submit(push(1));
    await d.began(1);
    const b = writer.submit(push(2));
    const c = writer.submit(push(3));
    d.writes[0]!.fail(new SimError('CONFIG_WRITE_FAILED', 'disk full'));
    await expect(a).rejects.toThrow('disk full');
    await d.began(2);
    const late = writer.submit(push(4));
    d.writes[1]!.fail(new SimError('CONFIG_WRITE_FAILED', 'still full'));
    await expect(b).rejects.toThrow('still full');
    await expect(c).rejects.toThrow('still full');
    expect(writer.state).toEqual([0]);
    expect(failures).toEqual([1, 2]);
    // Computed again on top of what is on disk, not of the refused edits.
    await d.began(3);
    expect(d.writes[2]!.state).toEqual([0, 4]);
    d.writes[2]!.done();
    expect(await late).toEqual([0, 4]);
  });

  it('refuses an edit that throws alone; the others in its batch are written', async () => {
    const d = disk();
    const writer = new ConfigWriter<number[]>([], { persist: d.persist });
    const first = writer.submit(push(1));
    await d.began(1);
    const ok = writer.submit(push(2));
    const bad = writer.submit(() => {
      throw new SimError('HTTP_BAD_REQUEST', 'no');
    });
    const after = writer.submit(push(3));
    d.writes[0]!.done();
    await first;
    await expect(bad).rejects.toThrow('no');
    await d.began(2);
    d.writes[1]!.done();
    expect(await ok).toEqual([1, 2, 3]);
    expect(await after).toEqual([1, 2, 3]);
  });
});
