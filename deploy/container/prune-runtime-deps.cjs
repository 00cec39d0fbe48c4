// Keeps in node_modules only what the bundled CLI loads at run time: the packages it requires
// from node_modules when it needs them (createRequire: net-snmp, selfsigned, serialport; esbuild
// leaves them out of the bundle, build/bundle.mjs and the services that load them on demand) and
// those whose files it serves (createRequire(...).resolve: uplot, src/http/vendor.ts), found by
// reading the bundle itself, and what they depend on, as package-lock.json resolves it.
// Everything else is inside dist/cli/bundle.cjs already: `npm ci --omit=dev` alone shipped it twice
// (the image was 203 MB against an aim of 200).
//   node prune-runtime-deps.cjs BUNDLE [package-lock.json]
'use strict';
const { readFileSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const [bundleFile, lockFile = 'package-lock.json'] = process.argv.slice(2);
if (!bundleFile) throw new Error('usage: node prune-runtime-deps.cjs BUNDLE [package-lock.json]');
// Node's own modules are required the same way where only some starts need them (node:https ...).
// A specifier may name a file of the package ("uplot/package.json"): the package is its first
// segment, or its first two for a scoped one.
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const roots = [...new Set([...readFileSync(bundleFile, 'utf8').matchAll(/createRequire\)\([^)]*\)(?:\.resolve)?\("([^"]+)"\)/g)].map((m) => packageOf(m[1])))].filter((name) => !name.startsWith('node:'));
if (roots.length === 0) throw new Error(`prune-runtime-deps: ${bundleFile} requires nothing from node_modules; is it the bundle?`);
const packages = JSON.parse(readFileSync(lockFile, 'utf8')).packages;

/** Where `name` resolves from the package at `from` (a lock key): its own node_modules, then up. */
function resolve(from, name) {
  for (let dir = from; ; ) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return null;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at === -1 ? '' : dir.slice(0, at);
  }
}

const keep = new Set();
const todo = roots.map((name) => {
  const key = resolve('', name);
  if (!key) throw new Error(`prune-runtime-deps: ${name} is not in ${lockFile}`);
  return key;
});
while (todo.length) {
  const key = todo.pop();
  if (keep.has(key)) continue;
  keep.add(key);
  const p = packages[key];
  for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
    const found = resolve(key, dep);
    if (found) todo.push(found);
  }
}

// A top-level folder stays if a kept package is it or lies inside it (scoped names: two levels).
const kept = [...keep].map((k) => k.split('/node_modules/')[0].replace(/^node_modules\//, ''));
let removed = 0;
for (const entry of readdirSync('node_modules')) {
  if (entry.startsWith('.')) continue;
  const names = entry.startsWith('@') ? readdirSync(join('node_modules', entry)).map((n) => `${entry}/${n}`) : [entry];
  for (const name of names) {
    if (!kept.includes(name)) {
      rmSync(join('node_modules', name), { recursive: true, force: true });
      removed += 1;
    }
  }
  if (entry.startsWith('@') && readdirSync(join('node_modules', entry)).length === 0) rmSync(join('node_modules', entry), { recursive: true });
}
console.log(`prune-runtime-deps: kept ${keep.size} packages for ${roots.join(', ')}; removed ${removed}`);
