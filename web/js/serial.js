// Configure: the serial port, the RTU master's timing (response timeout, retries, frame gaps)
// and its polling profiles (serial.profiles, at most 8), as fields of the running profile
// document saved by config.js. Errors of a profile's field (serial.profiles.N.key) show next to
// it. Choices come from the profile's schema (profile-schema.js), labelled here.

import { $, el } from './util.js';
import { bound, num, registerSection } from './config.js';
import { choicesAt } from './profile-schema.js';

const MAX = 8;
const POINT_TYPE_LABELS = { 1: '1 coil', 2: '2 discrete input', 3: '3 holding register', 4: '4 input register' };
const INTERFACE_LABELS = { rs232: 'RS-232', rs422: 'RS-422', 'rs485-2w': 'RS-485 2-wire', 'rs485-4w': 'RS-485 4-wire' };
const options = (path, labels = {}) => choicesAt(path).map((v) => [v, labels[v]]);
/** key, label, kind (text, int, or a list of options); the lists once the schema is loaded. */
let COLUMNS = [];
const columns = () => [
  ['name', 'Name', 'text'], ['slaveId', 'Slave id', 'int'], ['pointType', 'Point type', options('serial.profiles.0.pointType', POINT_TYPE_LABELS)],
  ['startAddress', 'Start address', 'int'], ['length', 'Length', 'int'], ['scanRate', 'Scan rate (×100 ms)', 'int'],
  ['irType', 'Internal register type', options('serial.profiles.0.irType')], ['irStart', 'Internal register start', 'int'],
  ['swap', 'Swap', options('serial.profiles.0.swap')],
];

let original = [];
let profiles = [];

function profileFieldset(p, i) {
  const fields = COLUMNS.map(([key, label, kind]) => {
    const id = `cfg-serial-profiles-${i}-${key}`;
    const attrs = { id, 'data-pkey': key, 'data-prow': String(i) };
    const input = Array.isArray(kind)
      ? el('select', attrs, ...kind.map(([v, text]) => el('option', { value: String(v), text: text ?? String(v), selected: String(v) === String(p[key]) })))
      : el('input', { ...attrs, type: kind === 'int' ? 'number' : 'text', value: String(p[key] ?? '') });
    return el('div', { class: 'fld' }, el('label', { for: id, text: label }), input,
      el('p', { class: 'field-error', 'data-error-for': `serial.profiles.${i}.${key}`, id: `${id}-error`, hidden: true }));
  });
  return el('fieldset', { class: 'rtu-profile', 'data-prow': String(i) }, el('legend', { text: `Profile ${i + 1}` }), ...fields,
    el('div', { class: 'fld' }, el('button', { type: 'button', text: 'Remove profile', 'aria-label': `Remove profile ${i + 1}`, onclick: () => {
      profiles = readProfiles().filter((_, j) => j !== i);
      renderProfiles();
    } })));
}

function renderProfiles() {
  $('cfg-rtu-profiles').replaceChildren(...profiles.map(profileFieldset));
  $('cfg-rtu-add').disabled = profiles.length >= MAX;
  $('cfg-rtu-count').textContent = `${profiles.length} of ${MAX}`;
}

function readProfiles() {
  return profiles.map((p, i) => {
    const out = { ...p };
    for (const [key, , kind] of COLUMNS) {
      const v = $(`cfg-serial-profiles-${i}-${key}`)?.value;
      if (v === undefined) continue;
      out[key] = kind === 'text' || (Array.isArray(kind) && key !== 'pointType') ? v : num(v);
    }
    return out;
  });
}

function render(config) {
  original = config.serial?.profiles ?? [];
  profiles = structuredClone(original);
  COLUMNS = columns();
  const port = el('fieldset', {}, el('legend', { text: 'Serial port' }),
    bound('serial.port', 'Port (device path; empty: none)', 'nstr'),
    bound('serial.interface', 'Interface', 'enum', INTERFACE_LABELS),
    bound('serial.baudRate', 'Baud rate', 'int'),
    bound('serial.parity', 'Parity', 'enum'),
    bound('serial.dataBits', 'Data bits', 'enumNum'),
    bound('serial.stopBits', 'Stop bits', 'enumNum'),
    bound('serial.echo', 'The adapter echoes what it sends (RS-485 2-wire)', 'bool'));
  const master = el('fieldset', {}, el('legend', { text: 'RTU master timing' }),
    bound('serial.responseTimeoutMs', 'Response timeout (ms)', 'int'),
    bound('serial.retries', 'Retries (extra attempts after a timeout or a bad frame)', 'int'),
    bound('serial.interCharTimeoutMs', 'Inter-character timeout (ms; empty: 1.5 characters)', 'nnum'),
    bound('serial.interFrameDelayMs', 'Inter-frame delay (ms; empty: 3.5 characters)', 'nnum'));
  const list = el('div', { id: 'cfg-rtu-profiles' });
  const add = el('button', { type: 'button', id: 'cfg-rtu-add', text: 'Add RTU profile', onclick: () => {
    profiles = readProfiles();
    if (profiles.length >= MAX) return;
    profiles.push({ name: `profile${profiles.length + 1}`, slaveId: 1, pointType: 3, startAddress: 0, length: 1, scanRate: 10, irType: 'word', irStart: 0, swap: 'none' });
    renderProfiles();
    $(`cfg-serial-profiles-${profiles.length - 1}-name`).focus();
  } });
  const count = el('output', { id: 'cfg-rtu-count' });
  queueMicrotask(renderProfiles);
  return [el('h3', { text: 'Serial port and RTU master profiles' }), port, master,
    el('p', { class: 'hint', text: 'Polling profiles of the RTU master; their state shows in the Serial / RTU master panel, their values in Internal registers.' }),
    list, el('div', { class: 'row' }, add, count)];
}

function read(doc) {
  const now = readProfiles();
  if (JSON.stringify(now) === JSON.stringify(original)) return;
  doc.serial ??= {};
  doc.serial.profiles = now;
}

registerSection({ render, read });
