#!/usr/bin/env node
// The `iothinx-sim` command. Runs the bundled CLI (bundle.cjs) through a V8 code cache made at
// build time: on Node 20 nothing else caches compiled code between runs, and compiling the
// bundle is the largest single cost of start-up (bench/startup.mjs measures the whole). A cache
// V8 rejects (another Node version, changed flags) only costs that speed, never correctness.
// `iothinx-sim ctl ...` runs ctl.cjs instead, a small bundle of its own with its own cache
// (src/cli/ctl-main.ts): a script's one API call need not read the emulator (#19).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { pathToFileURL } = require('node:url');

const bundle = path.join(__dirname, process.argv[2] === 'ctl' ? 'ctl.cjs' : 'bundle.cjs');
const cacheFile = `${bundle}.v8cache`;
const source = fs.readFileSync(bundle, 'utf8');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __iothinxUrl) {${source}\n})`, {
  filename: bundle,
  cachedData,
});
// The build reads each cache back through this same wrapper (`ctl` as the argument for ctl's)
// and fails if V8 rejects it.
if (process.env.IOTHINX_SIM_CHECK_V8_CACHE === '1') process.exit(cachedData === undefined || script.cachedDataRejected ? 3 : 0);
if (process.env.IOTHINX_SIM_WRITE_V8_CACHE === '1') {
  // Written at exit so it holds the functions a real start compiled, not just the top level.
  process.on('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
}
const run = script.runInThisContext();
const bundleModule = new Module(bundle, module);
bundleModule.filename = bundle;
bundleModule.paths = Module._nodeModulePaths(__dirname);
run.call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundle), bundleModule, bundle, __dirname, pathToFileURL(bundle).href);
