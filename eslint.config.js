import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Each folder's contract module: src/<feature>/contract.ts, and for http the schemas of the
 * emulator API's own routes (health, clock, channels: src/http/schemas.ts).
 */
const CONTRACTS = { config: 'contract.js', modbus: 'contract.js', mqtt: 'contract.js', serial: 'contract.js', snmp: 'contract.js', sim: 'contract.js', fleet: 'contract.js', http: 'schemas.js' };

/**
 * One import rule per src folder, naming the folders it must not import. A feature's contract
 * (src/<feature>/contract.ts: zod schemas of what it shows the emulator API, the types inferred
 * from them, and its control interface; no I/O) is the exception: its types may be imported
 * from any folder (`import type`, erased at build), and its schema values by the folders in
 * `values` (http renders them into /sim/v1/openapi.json and validates bodies with them). Any
 * other module of a forbidden folder stays forbidden, types included, so a service's class
 * cannot leak in through `import type`. What a contract itself may import is checked by
 * test/unit/contracts.test.ts.
 */
function layers(forbidden, values = []) {
  return Object.entries(forbidden).map(([folder, others]) => {
    const message = (other) => `src/${folder} may not import src/${other} (layering: docs/architecture.md)`;
    const patterns = others.flatMap((other) => {
      const prefixes = [`../${other}/`, `../../${other}/`];
      const contract = CONTRACTS[other];
      if (!contract) return [{ group: prefixes.map((p) => `${p}*`), message: `${message(other)}.` }];
      const rest = { group: prefixes.flatMap((p) => [`${p}*`, `!${p}${contract}`]), message: `${message(other)}; only its ${contract}.` };
      if (values.includes(folder)) return [rest];
      return [rest, { group: prefixes.map((p) => `${p}${contract}`), allowTypeImports: true, message: `${message(other)}: \`import type\` its ${contract} only.` }];
    });
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'web/vendor/', 'coverage/', '.tmpbuild/', 'bench/.build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|test|describe)$/]", message: 'No focused tests.' },
        { selector: "CallExpression[callee.property.name='skip'][callee.object.name=/^(it|test|describe)$/]", message: 'No skipped tests.' },
        // esbuild shakes zod down to what is used only through a namespace import; `import { z }`
        // kept every zod module in the CLI bundle (its ~50 locales, JSON Schema import): +360 kB,
        // and their initialisation ~9% of the time to the ready file (#19, bench/startup.mjs).
        { selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier", message: "Import zod as `import * as z from 'zod'` (bundle size and start-up, #19)." },
      ],
    },
  },
  // The layering (docs/architecture.md): the model imports nothing of ours, protocol adapters
  // never import each other, only src/app wires a device together, and nothing but src/cli
  // imports src/cli.
  ...layers({
    device: ['sim', 'config', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    'modbus-pdu': ['sim', 'config', 'modbus', 'serial', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    sim: ['modbus', 'serial', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    config: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    modbus: ['sim', 'serial', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    serial: ['sim', 'modbus', 'mqtt', 'http', 'snmp', 'app', 'fleet', 'cli'],
    mqtt: ['sim', 'modbus', 'modbus-pdu', 'serial', 'http', 'snmp', 'app', 'fleet', 'cli'],
    http: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'snmp', 'app', 'fleet', 'cli'],
    snmp: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'app', 'fleet', 'cli'],

    app: ['fleet', 'cli'],
    fleet: ['cli'],
    // The published client (iothinx-sim, iothinx-sim/testing) speaks the API: the contracts, never
    // the services. modbus-pdu has no I/O: the fixture's Modbus helpers share its word codec (#18).
    testing: ['modbus', 'serial', 'mqtt', 'snmp', 'sim', 'http', 'cli'],
  }, ['http', 'testing']),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
