// The Faults panel: inject a fault (POST /sim/v1/faults) from a form whose fields follow the
// chosen kind, list the active faults with their hits, clear one or all.
//
//   kind select ─► show that kind's fields ─► Inject ─► POST ─► 201 ─► list refreshed
//                                                           └─► 400 {path} ─► message next to that field
//   every 2 s while the panel is on screen ─► GET /sim/v1/faults ─► list

import { $, api, clearFieldErrors, el, showFieldError } from './util.js';
import { clockTime, whileVisible } from './poll.js';

const POLL_MS = 2000;
const COUNTED = ['modbus-slow', 'modbus-drop', 'modbus-garbage', 'modbus-exception', 'rest-error', 'rest-slow', 'serial'];
const BOOLEAN_INPUTS = ['burnout', 'fault'];

/** Which fields of the form a kind (and its sub-choices) uses. */
function fieldsFor(kind) {
  const serialFault = $('flt-serial').value;
  const input = $('flt-input').value;
  const used = {
    'module-removed': ['slot'],
    'module-failed': ['slot'],
    channel: ['target', 'input', BOOLEAN_INPUTS.includes(input) ? 'on' : 'value'],
    'modbus-slow': ['delay'],
    'modbus-exception': ['exception'],
    'rest-error': ['status'],
    'rest-slow': ['delay'],
    serial: ['device', 'serial', ...(serialFault === 'slow' ? ['delay'] : serialFault === 'exception' ? ['exception'] : [])],
    'clock-jump': ['ms'],
  }[kind] ?? [];
  return COUNTED.includes(kind) ? [...used, 'count'] : used;
}

function showFields() {
  const used = new Set(fieldsFor($('flt-kind').value));
  for (const fld of $('fault-form').querySelectorAll('[data-field]')) {
    const on = used.has(fld.dataset.field);
    fld.hidden = !on;
    for (const input of fld.querySelectorAll('input, select')) input.disabled = !on;
  }
  // A channel input's error comes back as input.<name>.
  const input = $('flt-input').value;
  $('flt-value-error').dataset.errorFor = `input.${input}`;
  $('flt-on-error').dataset.errorFor = `input.${input}`;
  $('flt-value-label').textContent = `${input} value`;
}

/** A required number: null when empty, so the server names the field. */
const num = (id) => ($(id).value.trim() === '' ? null : Number($(id).value));

function readSpec() {
  const kind = $('flt-kind').value;
  const spec = { kind };
  const used = fieldsFor(kind);
  if (used.includes('slot')) spec.slot = num('flt-slot');
  if (kind === 'channel') {
    spec.target = $('flt-target').value.trim();
    const input = $('flt-input').value;
    spec.input = { [input]: BOOLEAN_INPUTS.includes(input) ? $('flt-on').checked : num('flt-value') };
  }
  if (kind === 'serial') {
    spec.device = $('flt-device').value.trim();
    spec.fault = { kind: $('flt-serial').value };
    if (used.includes('delay')) spec.fault.delayMs = num('flt-delay');
    if (used.includes('exception')) spec.fault.exceptionCode = num('flt-exception');
    if ($('flt-count').value.trim() !== '') spec.fault.count = num('flt-count');
    return spec;
  }
  if (used.includes('delay')) spec.delayMs = num('flt-delay');
  if (used.includes('exception')) spec.exceptionCode = num('flt-exception');
  if (used.includes('status')) spec.status = Number($('flt-status').value);
  if (used.includes('ms')) spec.ms = num('flt-ms');
  if (used.includes('count') && $('flt-count').value.trim() !== '') spec.count = num('flt-count');
  return spec;
}

/** A serial fault's fields are nested under `fault`: point its errors at the same inputs. */
function forForm(error, kind) {
  const path = error.body?.path;
  if (kind !== 'serial' || typeof path !== 'string' || !path.startsWith('fault')) return error;
  const inner = path === 'fault' || path === 'fault.kind' ? 'serial' : path.slice('fault.'.length);
  const mapped = new Error(error.message);
  mapped.body = { ...error.body, path: { serial: 'fault', delayMs: 'delayMs', exceptionCode: 'exceptionCode', count: 'count' }[inner] ?? 'fault' };
  return mapped;
}

const describeValue = (v) => (v !== null && typeof v === 'object'
  ? Object.entries(v).map(([k, x]) => `${k}=${describeValue(x)}`).join(' ')
  : String(v));

/** The parameters of a fault spec, without its kind. */
export function faultParams(spec) {
  const parts = Object.entries(spec).filter(([k, v]) => k !== 'kind' && v !== null && v !== undefined).map(([k, v]) => `${k} ${describeValue(v)}`);
  return parts.join(', ') || '–';
}

function faultRow(f) {
  const cell = (label, text, cls = '') => el('td', { 'data-label': label, text, class: cls });
  return el('tr', { 'data-fault': f.id, 'data-kind': f.spec.kind },
    el('th', { scope: 'row', 'data-label': 'Kind', text: f.spec.kind }),
    cell('Parameters', faultParams(f.spec), 'params'),
    cell('Hits', String(f.hits ?? 0), 'hits'),
    el('td', { 'data-label': 'Since' }, el('time', { datetime: new Date(f.since).toISOString(), text: clockTime(f.since) })),
    el('td', { 'data-label': '' }, el('button', { type: 'button', text: 'Clear', 'aria-label': `Clear fault ${f.id} (${f.spec.kind})`, onclick: () => void clearFault(f.id) })));
}

let shown = '';

export async function loadFaults() {
  const faults = await api('GET', '/faults');
  const key = JSON.stringify(faults);
  if (key === shown) return; // nothing changed: keep the DOM (and the focus) as it is
  const focusedId = document.activeElement?.closest?.('#fault-rows tr')?.dataset.fault;
  shown = key;
  $('fault-rows').replaceChildren(...faults.map(faultRow));
  $('fault-none').hidden = faults.length > 0;
  $('fault-table').hidden = faults.length === 0;
  $('fault-clear-all').disabled = faults.length === 0;
  $('fault-count').textContent = String(faults.length);
  if (focusedId) $('fault-rows').querySelector(`tr[data-fault="${CSS.escape(focusedId)}"] button`)?.focus();
}

async function run(fn) {
  const out = $('fault-status');
  out.textContent = '';
  $('fault-list-error').hidden = true;
  try {
    out.textContent = await fn();
  } catch (e) {
    $('fault-list-error').textContent = e.message;
    $('fault-list-error').hidden = false;
  }
  await loadFaults().catch(() => {});
}

function clearFault(id) {
  return run(async () => {
    await api('DELETE', `/faults/${encodeURIComponent(id)}`);
    if (!document.activeElement || document.activeElement === document.body) $('fault-clear-all').focus();
    return `Cleared ${id}.`;
  });
}

export function initFaults() {
  const form = $('fault-form');
  for (const id of ['flt-kind', 'flt-input', 'flt-serial']) $(id).addEventListener('change', () => {
    clearFieldErrors(form);
    showFields();
  });
  showFields();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    $('fault-status').textContent = '';
    const kind = $('flt-kind').value;
    try {
      const fault = await api('POST', '/faults', readSpec());
      $('fault-status').textContent = `Injected ${fault.id} (${fault.spec.kind}).`;
    } catch (e) {
      showFieldError(form, forForm(e, kind), $('fault-error-form'));
    }
    await loadFaults().catch(() => {});
  });
  $('fault-clear-all').addEventListener('click', () => void run(async () => {
    await api('DELETE', '/faults');
    return 'All faults cleared.';
  }));
  whileVisible($('faults-panel'), POLL_MS, loadFaults);
}
