// Configure: network services (Modbus/TCP, the device REST API, HTTPS, MQTT, accounts), the
// Modbus/TCP server and the MQTT client (broker, TLS files, queue and reconnect, topic defaults
// and the per-topic rules of settings-mqtt.js), as fields of the running profile document saved
// by config.js (one PUT). Choices and bounds come from the profile's schema (profile-schema.js).

import { el } from './util.js';
import { bound, registerSection } from './config.js';
import { topicRules } from './settings-mqtt.js';

const QOS_LABELS = { 0: '0 (at most once)', 1: '1 (at least once)', 2: '2 (exactly once)' };
const TRIGGER_LABELS = { deviceDefault: 'device default per topic', onChangeWhereAllowed: 'on change where allowed', onChange: 'on change', interval: 'interval' };

function render() {
  const services = el('fieldset', {}, el('legend', { text: 'Network services' }),
    bound('modbus.enabled', 'Modbus/TCP server', 'bool'),
    bound('http.restApi', 'Device REST API (/api)', 'bool'),
    bound('http.https.enabled', 'HTTPS', 'bool'),
    bound('mqtt.enabled', 'MQTT client', 'bool'),
    bound('http.accounts.enabled', 'Accounts (the emulator API and this page ask for a login)', 'bool'));
  const modbus = el('fieldset', {}, el('legend', { text: 'Modbus/TCP server' }),
    bound('modbus.unitId', 'Unit id ("any" answers every unit id, or one number)', 'intOr'),
    bound('modbus.maxConnections', 'Connections at most', 'int'),
    bound('modbus.idleTimeoutS', 'Idle timeout (s, 0 = never)', 'int'),
    bound('modbus.wordOrder', '32-bit word order', 'enum'),
    bound('modbus.watchdog.enabled', 'Connection watchdog (no request in time: alarm flag and DO safe values)', 'bool'),
    bound('modbus.watchdog.timeoutS', 'Watchdog timeout (s)', 'int'));
  const broker = el('fieldset', {}, el('legend', { text: 'MQTT broker' }),
    bound('mqtt.url', 'Broker URL ("embedded" or mqtt(s)://host:port)'),
    bound('mqtt.username', 'Username (empty: none)', 'nstr'),
    bound('mqtt.password', 'Password (empty: unchanged)', 'secret'),
    bound('mqtt.clientId', 'Client id (empty: name_serial)', 'nstr'),
    bound('mqtt.keepAliveS', 'Keep-alive (s, 0 = off)', 'int'),
    bound('mqtt.cleanSession', 'Clean session', 'bool'),
    bound('mqtt.lastWill.qos', 'Last will QoS', 'enumNum', QOS_LABELS),
    bound('mqtt.lastWill.retain', 'Last will retained', 'bool'));
  const tls = el('fieldset', {}, el('legend', { text: 'MQTT TLS (mqtts:// and wss://)' }),
    bound('mqtt.tls.ca', 'CA file (PEM; empty: the system\'s CAs)', 'nstr'),
    bound('mqtt.tls.cert', 'Client certificate file (PEM; empty: none)', 'nstr'),
    bound('mqtt.tls.key', 'Client key file (PEM; empty: none)', 'nstr'),
    bound('mqtt.tls.minVersion', 'TLS minimum version', 'enum'),
    bound('mqtt.tls.maxVersion', 'TLS maximum version', 'enum'),
    bound('mqtt.tls.rejectUnauthorized', 'Check the broker\'s certificate', 'bool'));
  const link = el('fieldset', {}, el('legend', { text: 'MQTT queue and reconnect' }),
    bound('mqtt.queue.max', 'QoS 1/2 messages held while the broker is away', 'int'),
    bound('mqtt.reconnect.minMs', 'Reconnect after (ms, first attempt)', 'int'),
    bound('mqtt.reconnect.maxMs', 'Reconnect backoff at most (ms)', 'int'),
    bound('mqtt.connectTimeoutS', 'Connect timeout (s)', 'int'));
  const topics = el('fieldset', {}, el('legend', { text: 'MQTT topic defaults' }),
    bound('mqtt.defaults.qos', 'QoS', 'enumNum', QOS_LABELS),
    bound('mqtt.defaults.retain', 'Retain', 'bool'),
    bound('mqtt.defaults.trigger', 'Trigger', 'enum', TRIGGER_LABELS),
    bound('mqtt.defaults.intervalMs', 'Interval (ms)', 'int'),
    bound('mqtt.defaults.deadband', 'Deadband', 'num'),
    bound('mqtt.maxTopics', 'Enabled publish topics at most', 'int'),
    bound('mqtt.publishOnStart', 'Publish every topic once at start', 'bool'),
    bound('mqtt.payload.extraKeys', 'Add "ts" beside "value" in payloads', 'bool'),
    bound('mqtt.writes.enabled', 'Write topics ({name}/write/...)', 'bool'),
    bound('mqtt.writes.qos', 'Write topics QoS', 'enumNum', QOS_LABELS));
  return [el('h3', { text: 'Network services, Modbus/TCP and MQTT' }), services, modbus, broker, tls, link, topics];
}

registerSection({ render });
// After the topic defaults: the rules override them, in order.
registerSection(topicRules(TRIGGER_LABELS, QOS_LABELS));
