/**
 * What `start` tells a person once it is ready (stderr, after the ready file; --quiet drops it):
 * every service that is on, with the address to point a client at. Credentials never show: the
 * MQTT URL comes without them (src/mqtt/service.ts).
 *
 *   iothinx-sim: ioThinx_4510 with 8 modules
 *     web UI and APIs  http://127.0.0.1:8080/  (emulator API: /sim/v1, device API: /api)
 *     HTTPS            https://127.0.0.1:8443/
 *     Modbus/TCP       127.0.0.1:5020
 *     SNMP             udp 127.0.0.1:1161
 *     MQTT broker      mqtt://127.0.0.1:1883  (embedded; the device publishes to it)
 *     MQTT broker      mqtts://broker.example:8883  (external; the device's client connects to it)
 */
import type { EmulatorAddresses } from '../app/service.js';
import type { ListenAddress, StartOptions } from './args.js';
import type { Listener } from './listen-error.js';

export function startBanner(name: string, modules: number, a: EmulatorAddresses): string {
  const lines = [`iothinx-sim: ${name} with ${modules} modules`];
  const line = (label: string, value: string) => lines.push(`  ${label.padEnd(16)} ${value}`);
  if (a.http) line('web UI and APIs', `http://${a.http}/  (emulator API: /sim/v1, device API: /api)`);
  if (a.https) line('HTTPS', `https://${a.https}/`);
  if (a.modbus) line('Modbus/TCP', a.modbus);
  if (a.snmp) line('SNMP', `udp ${a.snmp}`);
  if (a.broker) line('MQTT broker', `mqtt://${a.broker}  (embedded; the device publishes to it)`);
  else if (a.mqtt) line('MQTT broker', `${a.mqtt}  (external; the device's client connects to it)`);
  return `${lines.join('\n')}\n`;
}

/** The listeners `start` asks for, for a bind failure's message (src/cli/listen-error.ts). */
export function startListeners(options: Pick<StartOptions, 'http' | 'https' | 'modbus' | 'broker' | 'snmp' | 'mqtt'>): Listener[] {
  const on = (address: ListenAddress | null, yes: boolean) => (yes ? address : null);
  return [
    { service: 'HTTP', flag: '--http', address: options.http },
    { service: 'HTTPS', flag: '--https', address: options.https },
    { service: 'Modbus/TCP', flag: '--modbus', address: options.modbus },
    { service: 'MQTT broker (embedded)', flag: '--broker', address: on(options.broker, options.mqtt !== 'off') },
    { service: 'SNMP', flag: '--snmp', address: options.snmp, udp: true },
  ];
}
