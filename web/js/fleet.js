// The fleet's page (GET / on the fleet listener): every device as a row that opens that device's
// own console under /fleet/v1/devices/NAME/. The list is fetched again when a device is added or
// removed (the fleet's event stream) and every few seconds for health.
import { $, el } from './util.js';

const DEVICES = 'fleet/v1/devices';
const REFRESH_MS = 5000;

async function refresh() {
  try {
    const res = await fetch(DEVICES);
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    const { devices } = await res.json();
    $('device-count').textContent = `(${devices.length})`;
    $('device-rows').replaceChildren(
      ...devices.map((d) =>
        el(
          'tr',
          { 'data-name': d.name },
          el('td', { text: String(d.index) }),
          el('td', {}, el('a', { href: `${DEVICES}/${encodeURIComponent(d.name)}/`, text: d.name })),
          el('td', { text: d.serialNumber }),
          el('td', { text: d.ip }),
          el('td', { text: d.endpoints.modbus ?? 'off' }),
          el('td', { text: d.endpoints.snmp ?? 'off' }),
          el('td', { text: d.health.mqtt }),
          el('td', { text: d.health.ready ? 'yes' : 'no', class: d.health.ready ? '' : 'status-bad' }),
        ),
      ),
    );
    $('conn').textContent = 'live';
    document.body.dataset.ready = 'true';
  } catch (error) {
    $('conn').textContent = `cannot list the devices: ${error.message}`;
  }
}

const events = new EventSource('fleet/v1/events');
events.addEventListener('device', () => void refresh());
setInterval(() => void refresh(), REFRESH_MS);
void refresh();
