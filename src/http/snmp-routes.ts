/** The SNMP agent's state for testers and for pointing a manager at it. */
import { snmpStatusDocumentSchema, type SnmpControl, type SnmpStatusDocument } from '../snmp/contract.js';
import { route, type Route } from './route.js';

export function snmpRoutes({ snmp }: { snmp?: SnmpControl | undefined }): Route[] {
  return [
    route({
      method: 'get',
      path: '/snmp',
      summary: 'SNMP agent: address, engine id, enabled versions, read community, users (no keys), counters (packets, refused by the accessible-IP list, bad packets by kind, error statuses) and the trap entries.',
      description: 'Settings change with PUT /sim/v1/config (the `snmp` section), which restarts the emulator as the device does.',
      response: snmpStatusDocumentSchema,
      handle: (): SnmpStatusDocument => (snmp ? snmp.status() : { enabled: false }),
    }),
  ];
}
