// The `depd` package for the bundle. depd('name') captures and formats a stack trace to learn its
// caller's file, and inside the 4 MB bundle V8 then works out line positions for the whole
// script: the four depd() calls of express, router and http-errors cost 6-12 ms of every start
// (#19). Here a deprecation is a plain Node DeprecationWarning, once per message, as depd does
// by default (NO_DEPRECATION and --no-deprecation still silence it).
'use strict';

function depd(namespace) {
  const warned = new Set();
  function deprecate(message) {
    if (warned.has(message)) return;
    warned.add(message);
    if (process.noDeprecation || (process.env.NO_DEPRECATION ?? '').split(/[ ,]+/).includes(namespace)) return;
    process.emitWarning(`${namespace}: ${message}`, 'DeprecationWarning');
  }
  deprecate.function = (fn, message) =>
    function deprecated(...args) {
      deprecate(message ?? `${fn.name || 'anonymous'}`);
      return fn.apply(this, args);
    };
  deprecate.property = (obj, prop, message) => {
    let value = obj[prop];
    Object.defineProperty(obj, prop, {
      configurable: true,
      enumerable: Object.getOwnPropertyDescriptor(obj, prop)?.enumerable ?? true,
      get() {
        deprecate(message ?? prop);
        return value;
      },
      set(next) {
        deprecate(message ?? prop);
        value = next;
      },
    });
  };
  return deprecate;
}

module.exports = depd;
