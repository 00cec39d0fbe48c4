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
  // The layering (README, Layout): the model imports nothing of ours, protocol adapters never
  // import each other, and only src/cli wires everything together.
  ...layers({
    device: ['sim', 'config', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'cli'],
    'modbus-pdu': ['sim', 'config', 'modbus', 'serial', 'mqtt', 'http', 'snmp', 'cli'],
    sim: ['modbus', 'serial', 'mqtt', 'http', 'snmp', 'cli'],
    config: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'snmp', 'cli'],
    modbus: ['sim', 'serial', 'mqtt', 'http', 'snmp', 'cli'],
    serial: ['sim', 'modbus', 'mqtt', 'http', 'snmp', 'cli'],
    mqtt: ['sim', 'modbus', 'modbus-pdu', 'serial', 'http', 'snmp', 'cli'],
    http: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'snmp', 'cli'],
    snmp: ['sim', 'modbus', 'modbus-pdu', 'serial', 'mqtt', 'http', 'cli'],
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
