/**
 * The embedded broker's retained store (src/mqtt/retained-index.ts) answers a subscription with
 * exactly the messages MQTT 3.1.1 section 4.7 says it matches, as aedes' own store did, and
 * forgets what an empty retained payload clears.
 */
import { describe, expect, it } from 'vitest';
import { RetainedTopicIndex } from '../../src/mqtt/retained-index.js';

function indexOf(topics: string[]): RetainedTopicIndex<string> {
  const index = new RetainedTopicIndex<string>();
  for (const t of topics) index.set(t, t);
  return index;
}

const TOPICS = ['a', 'a/b', 'a/b/c', 'a/c', 'a//c', 'b/b', '$SYS/x', '$SYS/x/y', '/lead', 'dev1/write/DI-00/diStatus', 'dev2/write/DI-00/diStatus'];

describe('RetainedTopicIndex', () => {
  it.each([
    ['a', ['a']],
    ['a/b', ['a/b']],
    ['a/+', ['a/b', 'a/c']],
    ['a/+/c', ['a/b/c', 'a//c']],
    ['+/b', ['a/b', 'b/b']],
    ['a/#', ['a', 'a/b', 'a/b/c', 'a/c', 'a//c']],
    ['#', ['a', 'a/b', 'a/b/c', 'a/c', 'a//c', 'b/b', '/lead', 'dev1/write/DI-00/diStatus', 'dev2/write/DI-00/diStatus']],
    ['+/#', ['a', 'a/b', 'a/b/c', 'a/c', 'a//c', 'b/b', '/lead', 'dev1/write/DI-00/diStatus', 'dev2/write/DI-00/diStatus']],
    ['$SYS/#', ['$SYS/x', '$SYS/x/y']],
    ['$SYS/+', ['$SYS/x']],
    ['+/lead', ['/lead']],
    ['dev1/write/+/+', ['dev1/write/DI-00/diStatus']],
    ['nothing/#', []],
    ['a/b/c/d', []],
  ])('%s matches what MQTT 4.7 says', (filter, expected) => {
    expect(indexOf(TOPICS).match(filter).sort()).toEqual([...expected].sort());
  });

  it('knows which topics it holds', () => {
    const index = indexOf(['a/b', 'a/b/c']);
    expect([index.has('a/b'), index.has('a/b/c'), index.has('a'), index.has('a/x'), index.has('a/b/c/d')]).toEqual([true, true, false, false, false]);
  });

  it('keeps one message per topic, the last', () => {
    const index = new RetainedTopicIndex<number>();
    index.set('a/b', 1);
    index.set('a/b', 2);
    expect(index.match('a/b')).toEqual([2]);
    expect(index.size).toBe(1);
  });

  it('forgets a deleted topic and the levels only it held, keeping its neighbours', () => {
    const index = indexOf(['x/y/z', 'x/y', 'x/w']);
    index.delete('x/y/z');
    expect(index.match('#').sort()).toEqual(['x/w', 'x/y']);
    index.delete('x/y');
    index.delete('x/w');
    index.delete('never/set');
    expect(index.size).toBe(0);
    expect(index.match('#')).toEqual([]);
    // The tree is empty again: the root holds no levels.
    expect((index as unknown as { root: { children: Map<string, unknown> | null } }).root.children?.size ?? 0).toBe(0);
  });

  it('walks a deep tree without recursion on #', () => {
    const index = new RetainedTopicIndex<string>();
    const deep = Array.from({ length: 5000 }, (_, i) => `l${i}`).join('/');
    index.set(deep, 'deep');
    expect(index.match('l0/#')).toEqual(['deep']);
  });
});
