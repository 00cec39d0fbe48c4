import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** One no-restricted-imports rule per src folder, naming the folders it must not import. */
function layers(forbidden) {
  return Object.entries(forbidden).map(([folder, others]) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: others.map((other) => ({ group: [`../${other}/*`, `../../${other}/*`], message: `src/${folder} may not import src/${other} (layering: README, Layout).` })) },
      ],
    },
  }));
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
      ],
    },
  },
  // The layering (docs/architecture.md): the model imports nothing of ours, protocol adapters
  // never import each other, only src/app wires a device together, and nothing but src/cli
  // imports src/cli.
  ...layers({
    device: ['sim', 'config', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    'modbus-pdu': ['sim', 'config', 'modbus', 'serial', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    sim: ['modbus', 'serial', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    config: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    modbus: ['sim', 'serial', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    serial: ['sim', 'modbus', 'mqtt', 'http', 'snmp', 'app', 'cli'],
    mqtt: ['sim', 'modbus', 'modbus-pdu', 'serial', 'http', 'snmp', 'app', 'cli'],
    http: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'snmp', 'app', 'cli'],
    snmp: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'app', 'cli'],

    app: ['cli'],
    testing: ['cli'],
  }),
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
