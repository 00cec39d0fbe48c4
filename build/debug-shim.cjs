// The `debug` package for the bundle: the real one when DEBUG is set at start, else a no-op.
// debug's logger is `function debug(...args) { if (!debug.enabled) return; ... }`, so every call
// allocates its arguments array even when nothing is enabled, and mqtt-packet, mqtt.js and aedes
// call it several times per MQTT packet: it was the largest allocation site of a fleet with MQTT
// (16% of all bytes, ~6 MB/s for 300 devices; bench/fleet.mjs, issue #16), all of it garbage the
// collector then had to sweep. DEBUG=mqttjs*,aedes*,express:* still works as documented by debug.
'use strict';

if (process.env.DEBUG) {
  module.exports = require('../node_modules/debug/src/node.js');
} else {
  const off = (namespace) => {
    const log = () => {};
    log.namespace = namespace;
    log.enabled = false;
    log.useColors = false;
    log.color = 0;
    log.diff = 0;
    log.log = () => {};
    log.destroy = () => true;
    log.extend = (sub, delimiter = ':') => off(`${namespace}${delimiter}${sub}`);
    return log;
  };
  const createDebug = (namespace) => off(namespace);
  createDebug.debug = createDebug;
  createDebug.default = createDebug;
  createDebug.enable = () => {};
  createDebug.disable = () => '';
  createDebug.enabled = () => false;
  createDebug.coerce = (value) => value;
  createDebug.formatters = {};
  createDebug.names = [];
  createDebug.skips = [];
  createDebug.humanize = (ms) => `${ms}ms`;
  module.exports = createDebug;
}
