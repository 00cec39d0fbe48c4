// The `depd` package for the bundle. depd('name') captures and formats a stack trace to learn its
// caller's file, and inside the 4 MB bundle V8 then works out line positions for the whole
// script: the four depd() calls of express, router and http-errors cost 6-12 ms of every start
// (#19). They only ever call deprecate(message). Here a deprecation is a plain Node
// DeprecationWarning, once per message, as depd does by default (NO_DEPRECATION here, and
// --no-deprecation in process.emitWarning, still silence it). deprecate.function and
// .property, which none of them calls, fail with a message that says why, should one ever be reached.
'use strict';

function notSupported(name) {
  return () => {
    throw new Error(`iothinx-sim: depd's deprecate.${name} is not supported by the bundle's depd stand-in (build/depd-shim.cjs)`);
  };
}

function depd(namespace) {
  const warned = new Set();
  function deprecate(message) {
    if (warned.has(message)) return;
    warned.add(message);
    if ((process.env.NO_DEPRECATION ?? '').split(/[ ,]+/).includes(namespace)) return;
    process.emitWarning(`${namespace}: ${message}`, 'DeprecationWarning');
  }
  deprecate.function = notSupported('function');
  deprecate.property = notSupported('property');
  return deprecate;
}

module.exports = depd;
