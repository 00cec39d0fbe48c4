// Bundles the CLI into one file and warms a V8 code cache for it (see build/launcher.cjs): the
// command then starts in a fraction of the time Node takes to resolve, load and compile the
// unbundled module graph (bench/startup.mjs measures it). The library build (tsc -> dist/)
// stays unbundled for `import`.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';

const out = 'dist/cli';
const common = {
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The launcher passes the bundle's file URL in; CommonJS has no import.meta.
  define: { 'import.meta.url': '__iothinxUrl' },
  // The launcher runs a bundle through vm.Script, which has no dynamic import callback: an
  // import() of what stays outside the bundle (node:https in src/testing/http-transport.ts) must
  // become a require.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};
// mime-db for the bundle: only the types the emulator serves. mime-types walks all of mime-db's
// ~2,500 types at load to build its extension maps, 8-20 ms of every start (#19). Kept: every file
// extension under web/ (a new one there that mime-db lacks fails the build), json (res.json's
// charset) and csv (the address map's attachment, src/http/modbus-routes.ts). A type given whole
// needs no entry: mime-types adds charset=utf-8 to text/* and nothing to the rest, as it would
// for a kept type without a charset. Entries are mime-db's own, so what is kept answers as before.
const SERVED_EXTENSIONS = ['json', 'csv'];
function mimeSubset() {
  const db = JSON.parse(readFileSync('node_modules/mime-db/db.json', 'utf8'));
  const webExtensions = readdirSync('web', { recursive: true }).map((f) => extname(String(f)).slice(1).toLowerCase()).filter(Boolean);
  const extensions = new Set([...SERVED_EXTENSIONS, ...webExtensions]);
  const kept = Object.fromEntries(Object.entries(db).filter(([, entry]) => entry.extensions?.some((e) => extensions.has(e))));
  const missing = [...extensions].filter((e) => !Object.values(kept).some((entry) => entry.extensions?.includes(e)));
  if (missing.length) throw new Error(`build: mime-db has no type for .${missing.join(', .')}`);
  return {
    name: 'mime-db-subset',
    setup(b) {
      b.onResolve({ filter: /^mime-db$/ }, () => ({ path: 'mime-db', namespace: 'mime-db-subset' }));
      b.onLoad({ filter: /.*/, namespace: 'mime-db-subset' }, () => ({ contents: JSON.stringify(kept), loader: 'json' }));
    },
  };
}

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  plugins: [mimeSubset()],
  outfile: `${out}/bundle.cjs`,
  // debug-shim: see its header (the largest allocation site of MQTT traffic, for nothing).
  // depd-shim, socks-shim: see their headers (start-up time, #19).
  alias: { 'iconv-lite': './build/iconv-lite-shim.cjs', debug: './build/debug-shim.cjs', depd: './build/depd-shim.cjs', socks: './build/socks-shim.cjs' },
  // Required at run time from node_modules, only when a self-signed certificate is made.
  // serialport loads a native binding from its own folder, so it stays a real require.
  external: ['selfsigned', 'serialport'],
});
// `iothinx-sim ctl`: its own small bundle, which the launcher runs without reading the big one (#19).
const ctlBuild = await build({ ...common, entryPoints: ['src/cli/ctl-main.ts'], outfile: `${out}/ctl.cjs`, metafile: true });
// It stays small only while ctl imports nothing of the emulator: a package (zod ...) in it, or a
// few times today's ~16 kB, means an import brought the emulator in, and the build says so.
const ctlInputs = Object.keys(ctlBuild.metafile.inputs);
const ctlBytes = ctlBuild.metafile.outputs[`${out}/ctl.cjs`].bytes;
if (ctlInputs.some((file) => file.includes('node_modules')) || ctlBytes > 64_000) {
  console.error(`build: dist/cli/ctl.cjs is ${ctlBytes} bytes from ${ctlInputs.length} files; ctl imports too much:\n  ${ctlInputs.join('\n  ')}`);
  process.exit(1);
}
copyFileSync('build/launcher.cjs', `${out}/iothinx-sim.cjs`);
chmodSync(`${out}/iothinx-sim.cjs`, 0o755);
rmSync(`${out}/bundle.cjs.v8cache`, { force: true });
rmSync(`${out}/ctl.cjs.v8cache`, { force: true });

// Warm the caches with one real start: HTTP on a free port; once ready, one `ctl get` against it
// warms ctl's cache, then SIGTERM.
const dir = mkdtempSync(join(tmpdir(), 'iothinx-build-'));
const ready = join(dir, 'ready.json');
const child = spawn(
  process.execPath,
  [`${out}/iothinx-sim.cjs`, 'start', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0', '--quiet', '--ready-file', ready],
  // No heap flag in this run: V8 stamps the cache with the flags set when it is made, and a
  // start sets --heap-growing-percent only after the cache is read (src/cli/heap.ts).
  { stdio: 'inherit', env: { ...process.env, IOTHINX_SIM_WRITE_V8_CACHE: '1', IOTHINX_SIM_HEAP_GROWING_PERCENT: '0' } },
);
let ctlCode;
const code = await new Promise((resolve) => {
  const poll = setInterval(() => {
    if (existsSync(ready)) {
      clearInterval(poll);
      const { http } = JSON.parse(readFileSync(ready, 'utf8'));
      const ctl = spawn(process.execPath, [`${out}/iothinx-sim.cjs`, 'ctl', '--url', `http://${http}`, 'get', '1/0', 'diStatus'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, IOTHINX_SIM_WRITE_V8_CACHE: '1' },
        // A ctl that hangs must not hang the build: it is killed, exits non-zero, and the build fails.
        timeout: 30_000,
      });
      ctl.on('error', () => child.kill('SIGTERM'));
      ctl.on('exit', (exitCode) => {
        ctlCode = exitCode;
        child.kill('SIGTERM');
      });
    }
  }, 5);
  child.on('exit', (exitCode) => {
    clearInterval(poll);
    resolve(exitCode);
  });
});
rmSync(dir, { recursive: true, force: true });
// The warm-up doubles as a smoke test: a bundle that cannot start fails the build.
if (code !== 0 || ctlCode !== 0) {
  console.error(`build: the bundled CLI did not start and stop cleanly (exit ${code}), or ctl get failed against it (exit ${ctlCode})`);
  process.exit(1);
}
for (const [name, args] of [['bundle.cjs', []], ['ctl.cjs', ['ctl']]]) {
  if (!existsSync(`${out}/${name}.v8cache`)) {
    console.warn(`build: no V8 code cache was written for ${name}; start-up will be slower`);
    continue;
  }
  // A cache this very Node rejects is a silent start-up regression (it happened once: a flag set
  // while the cache was made): the launcher reads it back and the build fails if V8 rejects it.
  const check = spawnSync(process.execPath, [`${out}/iothinx-sim.cjs`, ...args], { env: { ...process.env, IOTHINX_SIM_CHECK_V8_CACHE: '1' } });
  if (check.status !== 0) {
    console.error(`build: V8 rejected the code cache it just made for ${name} (exit ${check.status}): start-up would be slower`);
    process.exit(1);
  }
}
