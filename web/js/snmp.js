// The SNMP panel: where the agent listens and how to point a manager at it (GET /sim/v1/snmp),
// with the commands filled in for this device, and the agent's counters.

import { $, api, el } from './util.js';

function commands(status) {
  const at = status.address;
  const mib = '-M +./mibs -m MOXA-IOTHINX4510-MIB';
  const lines = [`snmpwalk -v2c -c ${status.readCommunity} ${mib} ${at} .1.3.6.1.4.1.8691.10.4510`];
  if (status.writeCommunity) lines.push(`snmpset -v2c -c <write community> ${mib} ${at} MOXA-IOTHINX4510-MIB::doStatus.0 i 1`);
  const user = status.users?.[0];
  if (user) {
    const auth = user.level === 'noAuthNoPriv' ? '' : ` -a ${user.authProtocol.toUpperCase()} -A <authKey>`;
    const priv = user.level === 'authPriv' ? ` -x ${user.privProtocol.toUpperCase()} -X <privKey>` : '';
    lines.push(`snmpget -v3 -l ${user.level} -u ${user.name}${auth}${priv} ${at} sysName.0`);
  }
  return lines;
}

export async function loadSnmp() {
  const status = await api('GET', '/snmp');
  const panel = $('snmp-panel');
  if (!status.enabled) {
    $('snmp-status').replaceChildren(el('dt', { text: 'agent' }), el('dd', { text: 'off (snmp.enabled in the profile, or --snmp off)' }));
    $('snmp-commands').replaceChildren();
    return;
  }
  panel.hidden = false;
  const c = status.counters ?? {};
  const bad = Object.values(c.bad ?? {}).reduce((n, v) => n + v, 0);
  const rows = [
    ['address', status.address],
    ['engine id', status.engineId],
    ['versions', Object.entries(status.versions ?? {}).filter(([, on]) => on).map(([v]) => v).join(', ')],
    ['read community', status.readCommunity],
    ['users', (status.users ?? []).map((u) => `${u.name} (${u.level}, ${u.access})`).join(', ') || '–'],
    ['requests', String(c.responses ?? 0)],
    ['refused / bad', `${c.refused ?? 0} / ${bad}`],
    ['traps', String(status.traps?.entries?.length ?? 0)],
  ];
  $('snmp-status').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v ?? '–' })]));
  $('snmp-commands').replaceChildren(...commands(status).map((line) => el('li', {}, el('code', { text: line }))));
}

export function initSnmp() {
  $('snmp-refresh').addEventListener('click', () => void loadSnmp());
}
