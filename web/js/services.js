// Configure: network services (Modbus/TCP, the device REST API, HTTPS, MQTT) and the MQTT
// broker settings, as fields of the running profile document saved by config.js (one PUT).

import { el } from './util.js';
import { bound, registerSection } from './config.js';

const QOS = [[0, '0 (at most once)'], [1, '1 (at least once)'], [2, '2 (exactly once)']];

function render() {
  const services = el('fieldset', {}, el('legend', { text: 'Network services' }),
    bound('modbus.enabled', 'Modbus/TCP server', 'bool'),
    bound('http.restApi', 'Device REST API (/api)', 'bool'),
    bound('http.https.enabled', 'HTTPS', 'bool'),
    bound('mqtt.enabled', 'MQTT client', 'bool'));
  const broker = el('fieldset', {}, el('legend', { text: 'MQTT broker' }),
    bound('mqtt.url', 'Broker URL ("embedded" or mqtt(s)://host:port)'),
    bound('mqtt.username', 'Username (empty: none)', 'nstr'),
    bound('mqtt.password', 'Password (empty: unchanged)', 'secret'),
    bound('mqtt.clientId', 'Client id (empty: name_serial)', 'nstr'),
    bound('mqtt.keepAliveS', 'Keep-alive (s, 0 = off)', 'int'),
    bound('mqtt.tls.minVersion', 'TLS minimum version', 'enum', [['TLSv1.2'], ['TLSv1.3']]),
    bound('mqtt.lastWill.qos', 'Last will QoS', 'enumNum', QOS),
    bound('mqtt.lastWill.retain', 'Last will retained', 'bool'));
  const topics = el('fieldset', {}, el('legend', { text: 'MQTT topic defaults' }),
    bound('mqtt.defaults.qos', 'QoS', 'enumNum', QOS),
    bound('mqtt.defaults.retain', 'Retain', 'bool'),
    bound('mqtt.defaults.trigger', 'Trigger', 'enum', [['deviceDefault', 'device default per topic'], ['onChangeWhereAllowed', 'on change where allowed'], ['interval', 'interval']]));
  return [el('h3', { text: 'Network services and MQTT' }), services, broker, topics];
}

registerSection({ render });
