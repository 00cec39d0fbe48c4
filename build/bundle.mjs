// Bundles the CLI into one file: the command starts in a fraction of the time it takes Node to
// resolve and load the unbundled module graph (bench/startup.mjs measures it). The library
// build (tsc -> dist/) stays unbundled for `import`.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/iothinx-sim.mjs',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  alias: { 'iconv-lite': './build/iconv-lite-shim.cjs' },
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
