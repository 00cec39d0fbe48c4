/** The SNMP agent's state for testers and for pointing a manager at it. */
import { z } from 'zod';
import type { HttpAppOptions } from './options.js';
import { route, type Route } from './route.js';

export function snmpRoutes({ snmp }: HttpAppOptions): Route[] {
  return [
    route({
      method: 'get',
      path: '/snmp',
      summary: 'SNMP agent: address, engine id, enabled versions, read community, users (no keys), counters (packets, refused by the accessible-IP list, bad packets by kind, error statuses) and the trap entries.',
      description: 'Settings change with PUT /sim/v1/config (the `snmp` section), which restarts the emulator as the device does.',
      response: z.looseObject({ enabled: z.boolean() }),
      handle: () => (snmp ? snmp.status() : { enabled: false }),
    }),
  ];
}
