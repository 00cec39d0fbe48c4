/**
 * #15 item 5: no import cycle between files, nor between the folders of src/ (a folder cycle
 * is what makes a layer impossible to build, test or reason about alone). Reads the import
 * statements of every src file, type-only imports included: a type cycle is still a design cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(new URL('../../src', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
}

/** Relative imports (static, re-exports and dynamic import()) of one file, as src-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?(?:from\s+)?'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specifiers.map((s) => relative(SRC, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

const graph = new Map(files(SRC).map((f) => [relative(SRC, f), new Set(importsOf(f))]));
/**
 * A contract module (src/<feature>/contract.ts) counts as a node of its own: it imports only zod,
 * other contracts and device/config schemas (test/unit/contracts.test.ts), so the HTTP layer
 * importing the contract of a folder above it (fleet, #16) is no cycle through that folder.
 */
const topFolder = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '(root)');
const folderOf = (path: string) => (/^[^/]+\/contract\.ts$/.test(path) ? path.replace(/\.ts$/, '') : topFolder(path));

describe('imports in src/', () => {
  it('reads the graph (every src file, their relative imports)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('app/emulator.ts')).toContain('device/device.ts');
  });

  it('have no cycle between files', () => {
    expect(cycles(graph).map((c) => c.join(' > '))).toEqual([]);
  });

  it('have no cycle between folders', () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      const edges = folders.get(from) ?? new Set<string>();
      // Within one folder (a contract and its own schema module) is no edge between folders.
      for (const target of imports) if (topFolder(target) !== topFolder(file)) edges.add(folderOf(target));
      folders.set(from, edges);
    }
    expect(cycles(folders).map((c) => c.join(' > '))).toEqual([]);
  });

  it('finds a cycle when there is one (the walk itself)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });
});
