/**
 * The contract modules (src/<feature>/contract.ts) are what other folders may import of a
 * feature (eslint.config.js `layers()`): src/http renders their schemas into
 * /sim/v1/openapi.json, the typed client takes its types from them. That is only safe while a
 * contract is schemas and types: it may import zod, other contracts, schema modules of
 * src/device and src/config, and its own folder's `*-schema.ts` (the scenario document), and
 * none of those may do I/O (#15 item 2).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface Import {
  from: string;
  typeOnly: boolean;
}

/** Every static import of a module, and whether it is `import type`. */
function importsOf(text: string): Import[] {
  return [...text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)';/gms)].map((m) => ({ from: m[2]!, typeOnly: m[1] !== undefined }));
}

async function contracts(): Promise<string[]> {
  const folders = await readdir(SRC, { withFileTypes: true });
  const found: string[] = [];
  for (const folder of folders.filter((d) => d.isDirectory())) {
    const files = await readdir(join(SRC, folder.name));
    if (files.includes('contract.ts')) found.push(join(SRC, folder.name, 'contract.ts'));
  }
  return found;
}

/** Why an import is not allowed in a contract, or null when it is. */
function refused(file: string, { from, typeOnly }: Import): string | null {
  if (from === 'zod') return null;
  if (!from.startsWith('.')) return `the package ${from}: a contract imports zod only`;
  const target = relative(SRC, resolve(dirname(file), from));
  const [folder, ...rest] = target.split('/');
  const own = relative(SRC, dirname(file));
  if (rest.join('/') === 'contract.js') return null;
  if (folder === 'device' || folder === 'config') return null;
  if (folder === own && /-schema\.js$/.test(target)) return null;
  return `${target}${typeOnly ? ' (even as a type)' : ''}: only zod, other contracts, src/device, src/config and the folder's own *-schema.ts`;
}

describe('contract modules', () => {
  it('exist for every feature the emulator API shows', async () => {
    const names = (await contracts()).map((f) => relative(SRC, f)).sort();
    expect(names).toEqual(['config/contract.ts', 'fleet/contract.ts', 'modbus/contract.ts', 'mqtt/contract.ts', 'serial/contract.ts', 'sim/contract.ts', 'snmp/contract.ts']);
  });

  it('import only zod, other contracts, and schema modules of src/device, src/config and their own folder', async () => {
    const problems: string[] = [];
    for (const file of await contracts()) {
      const imports = importsOf(await readFile(file, 'utf8'));
      expect(imports.map((i) => i.from), relative(SRC, file)).toContain('zod');
      for (const imported of imports) {
        const why = refused(file, imported);
        if (why) problems.push(`${relative(SRC, file)}: ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('whose schema modules do no I/O: they import no node: builtin and no package but zod', async () => {
    const problems: string[] = [];
    for (const file of await contracts()) {
      for (const { from, typeOnly } of importsOf(await readFile(file, 'utf8'))) {
        if (typeOnly || !from.startsWith('.') || from.endsWith('/contract.js')) continue;
        const module = resolve(dirname(file), from).replace(/\.js$/, '.ts');
        for (const inner of importsOf(await readFile(module, 'utf8'))) {
          if (!inner.typeOnly && !inner.from.startsWith('.') && inner.from !== 'zod') problems.push(`${relative(SRC, file)} -> ${relative(SRC, module)} imports ${inner.from}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
