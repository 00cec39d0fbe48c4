// Monitor view of the serial side: the RTU master (port state, one row per polling profile with
// its state and error code), the virtual field devices on the bus (points, fault, counters) and
// the internal registers (IRs) the profiles fill.
//
//   every 1 s while a panel is on screen and the tab visible ─► GET /sim/v1/serial (+ /field-devices)
//   SSE change of type "ir" (app.js) ─► irChanged ─► one redraw per animation frame
//   Set / Apply ─► PUT ─► the response redraws; a 400's path puts the message next to its field

import { $, api, clearFieldErrors, el, fmt, showFieldError } from './util.js';

const POLL_MS = 1000;
const PREFIX = { bool: 'BIR', word: 'WIR', dword: 'DIR', float: 'FIR' };
const IR_TYPES = Object.keys(PREFIX);
const POINT_TYPES = { 1: 'coils', 2: 'discrete inputs', 3: 'holding regs', 4: 'input regs' };
const EXCEPTIONS = { 1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'slave device failure', 5: 'acknowledge', 6: 'slave busy', 8: 'memory parity error' };
const FAULTS = [['none', 'none'], ['no-answer', 'no answer'], ['slow', 'slow'], ['crc', 'bad CRC'], ['exception', 'exception'], ['garbage', 'garbage']];

const irName = (type, index) => `${PREFIX[type]}-${String(index).padStart(2, '0')}`;
export const hex = (code) => `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** What a profile error code means (src/serial/status.ts). */
export function codeMeaning(code) {
  if (code === 0) return 'ok';
  if (code === 0x0a) return 'port closed';
  if (code === 0x0b) return 'no answer (timeout)';
  if (code === 0x0100) return 'bad CRC / garbled';
  if (code === 0x0101) return 'unexpected answer';
  if (code >= 1 && code <= 255) return `slave exception ${code}${EXCEPTIONS[code] ? ` (${EXCEPTIONS[code]})` : ''}`;
  return 'unknown';
}

function irRange(p) {
  if (!p.irCount) return '–';
  const first = irName(p.irType, p.irStart);
  return p.irCount === 1 ? first : `${first}..${String(p.irStart + p.irCount - 1).padStart(2, '0')}`;
}

const badge = (state) => el('span', { class: `badge badge-${state}`, text: state });

/** A small form: label, number input, Set button, and the error line a 400 fills. */
function setForm(id, label, onSet, props = {}) {
  const input = el('input', { id, type: 'number', step: 'any', required: true, placeholder: 'value', ...props });
  const error = el('p', { class: 'field-error', 'data-error-for': 'value', id: `${id}-error`, hidden: true });
  const form = el('form', { class: 'set' }, el('label', { for: id, class: 'sr', text: label }), input,
    el('button', { type: 'submit', text: 'Set', 'aria-label': `Set ${label}` }), error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      await onSet(Number(input.value));
      input.value = '';
    } catch (e) {
      showFieldError(form, e, error);
    }
  });
  return form;
}

// ---- the RTU master -----------------------------------------------------------------------

let status = null;
let devices = [];
const irs = new Map(); // ioName → {type, index, ioName, value}
const irCells = new Map(); // ioName → [elements showing the value]
let irFrame = 0;

function renderPort() {
  const { port, settings, master } = status;
  const items = [
    ['Port', `${port.port} (${port.kind})`],
    ['State', badge(port.state === 'open' ? 'ok' : port.state === 'opening' ? 'idle' : 'error')],
    ['Last error', port.lastError ?? '–'],
    ['Line', `${settings.baudRate} ${settings.dataBits}${settings.parity[0].toUpperCase()}${settings.stopBits} ${settings.interface}, timeout ${settings.responseTimeoutMs} ms, ${settings.retries} retr${settings.retries === 1 ? 'y' : 'ies'}`],
  ];
  items[1][1].textContent = port.state;
  if (master) items.push(['Frames', `${master.framesSent} sent, ${master.framesReceived} received, ${master.bytesDiscarded} bytes discarded, ${master.queued} queued`]);
  $('serial-port').replaceChildren(...items.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

function profileRow(p) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  const err = p.lastError ? `${p.lastError.kind}: ${p.lastError.detail}` : '–';
  return el('tr', { 'data-profile': p.name, class: p.state === 'error' ? 'row-error' : '' },
    el('th', { scope: 'row', 'data-label': 'Profile', text: p.name }),
    cell('Slave', String(p.slaveId)),
    cell('Points', `${POINT_TYPES[p.pointType]} ${p.startAddress}+${p.length}`),
    cell('IRs', el('span', { class: 'ir-range', text: irRange(p) })),
    cell('State', badge(p.state)),
    cell('Code', el('span', { class: 'code', text: `${hex(p.errorCode)} ${codeMeaning(p.errorCode)}` })),
    cell('OK / errors', `${p.okCount} / ${p.errorCount}`),
    cell('Last error', el('span', { class: 'last-error', text: err })),
    cell('p99 lateness', `${fmt(p.lateness.p99Ms, 1)} ms`));
}

function renderSerial() {
  const on = Boolean(status?.enabled && status.port);
  $('serial-panel').classList.toggle('wide', on);
  $('serial-none').hidden = on;
  $('serial-body').hidden = !on;
  $('fd-panel').hidden = !(status?.fieldDevices?.length > 0);
  if (!on) return;
  renderPort();
  $('serial-profiles').replaceChildren(...status.profiles.map(profileRow));
  $('serial-no-profiles').hidden = status.profiles.length > 0;
  $('serial-updated').textContent = new Date().toLocaleTimeString();
}

// ---- field devices ------------------------------------------------------------------------

const fdCards = new Map(); // name → {card, update(device)}

function faultText(f) {
  if (!f || f.kind === 'none') return 'none';
  const extra = f.kind === 'slow' ? ` ${f.delayMs} ms` : f.kind === 'exception' ? ` code ${f.exceptionCode}` : '';
  return `${f.kind}${extra}${f.count ? `, ${f.count} more request(s)` : ''}`;
}

function faultForm(d) {
  const p = `fd-${d.name}-fault`;
  const errorFor = (key, id) => el('p', { class: 'field-error', 'data-error-for': key, id: `${id}-error`, hidden: true });
  const kind = el('select', { id: `${p}-kind` }, ...FAULTS.map(([v, text]) => el('option', { value: v, text })));
  const delay = el('input', { id: `${p}-delayMs`, type: 'number', min: '1', step: '1', value: '1500' });
  const code = el('input', { id: `${p}-exceptionCode`, type: 'number', min: '1', max: '255', step: '1', value: '2' });
  const count = el('input', { id: `${p}-count`, type: 'number', min: '1', step: '1', placeholder: 'all' });
  const delayFld = el('div', { class: 'fld' }, el('label', { for: delay.id, text: 'Delay (ms)' }), delay, errorFor('delayMs', delay.id));
  const codeFld = el('div', { class: 'fld' }, el('label', { for: code.id, text: 'Exception code' }), code, errorFor('exceptionCode', code.id));
  const formError = el('p', { class: 'field-error', id: `${p}-error-form`, hidden: true });
  const shown = () => {
    delayFld.hidden = kind.value !== 'slow';
    codeFld.hidden = kind.value !== 'exception';
  };
  kind.addEventListener('change', shown);
  shown();
  const form = el('form', { class: 'fault-form' },
    el('div', { class: 'fld' }, el('label', { for: kind.id, text: 'Fault' }), kind, errorFor('kind', kind.id)),
    delayFld, codeFld,
    el('div', { class: 'fld' }, el('label', { for: count.id, text: 'Requests (empty: all)' }), count, errorFor('count', count.id)),
    el('div', { class: 'row' },
      el('button', { type: 'submit', text: 'Apply fault', 'aria-label': `Apply fault to ${d.name}` }),
      el('button', { type: 'button', text: 'Clear', 'aria-label': `Clear fault of ${d.name}`, onclick: () => send('DELETE') })),
    formError);
  const num = (input) => (input.value.trim() === '' ? input.value : Number(input.value));
  async function send(method) {
    clearFieldErrors(form);
    const body = { kind: kind.value };
    if (kind.value === 'slow') body.delayMs = num(delay);
    if (kind.value === 'exception') body.exceptionCode = num(code);
    if (count.value.trim() !== '') body.count = num(count);
    try {
      const updated = await api(method, `/serial/field-devices/${encodeURIComponent(d.name)}/fault`, method === 'PUT' ? body : undefined);
      if (method === 'DELETE') kind.value = 'none';
      shown();
      fdCards.get(d.name)?.update(updated);
      void refresh();
    } catch (e) {
      showFieldError(form, e, formError);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send('PUT');
  });
  return form;
}

function fdCard(d) {
  const fault = el('output', { class: 'fault' });
  const counters = el('output', { class: 'counters' });
  const values = new Map();
  const rowsOf = d.points.map((pt) => {
    const id = `fd-${d.name}-pt-${pt.name}`;
    const value = el('span', { class: 'val' });
    values.set(pt.name, value);
    return el('tr', { 'data-point': pt.name },
      el('th', { scope: 'row', 'data-label': 'Point' }, pt.name, el('span', { class: 'meta', text: ` ${pt.table} ${pt.address}${pt.writable ? '' : ' · RO'}`, title: pt.writable ? '' : 'read-only for the master' })),
      el('td', { 'data-label': 'Value' }, value),
      el('td', { 'data-label': 'Set' }, setForm(id, `${d.name} ${pt.name}`, async (v) => {
        fdCards.get(d.name)?.update(await api('PUT', `/serial/field-devices/${encodeURIComponent(d.name)}/points/${encodeURIComponent(pt.name)}`, { value: v }));
      })));
  });
  const card = el('article', { class: 'fd card', 'data-device': d.name, 'aria-label': `Field device ${d.name}` },
    el('h3', { text: `${d.name} · slave ${d.slaveId} · ${d.definition}` }),
    el('p', { class: 'meta', text: `${d.description ?? ''} (${d.port})` }),
    el('p', {}, 'Fault: ', fault), el('p', {}, counters),
    faultForm(d),
    el('details', { class: 'points' }, el('summary', { text: `Points (${d.points.length})` }),
      el('table', { class: 'stack' }, el('thead', {}, el('tr', {}, ...['Point', 'Value', 'Set'].map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, ...rowsOf))));
  const update = (dev) => {
    fault.textContent = faultText(dev.fault);
    fault.className = dev.fault?.kind && dev.fault.kind !== 'none' ? 'fault status-bad' : 'fault';
    const c = dev.counters;
    counters.textContent = `${c.requests} requests, ${c.answers} answers, ${c.badFrames} bad frames, ${c.faulted} faulted`;
    for (const pt of dev.points ?? []) {
      const v = values.get(pt.name);
      if (v) v.textContent = `${fmt(pt.value, 4)} ${pt.unit ?? ''}`.trim();
    }
  };
  update(d);
  return { card, update };
}

function renderDevices() {
  const names = devices.map((d) => d.name).join('\n');
  if (names !== $('fd-list').dataset.names) {
    fdCards.clear();
    for (const d of devices) fdCards.set(d.name, fdCard(d));
    $('fd-list').replaceChildren(...[...fdCards.values()].map((c) => c.card));
    $('fd-list').dataset.names = names;
  } else {
    for (const d of devices) fdCards.get(d.name).update(d);
  }
}

// ---- internal registers -------------------------------------------------------------------

function irValueCell(ioName) {
  const span = el('span', { class: 'val', 'data-ir': ioName, text: fmt(irs.get(ioName)?.value, 4) });
  if (!irCells.has(ioName)) irCells.set(ioName, []);
  irCells.get(ioName).push(span);
  return span;
}

async function setIr(ioName, value) {
  const entry = await api('PUT', `/internal-registers/${encodeURIComponent(ioName)}`, { value });
  irs.set(entry.ioName, entry);
  paintIrs();
}

/** The IRs the RTU profiles fill (and their error-code IRs), each with a set field. */
function rtuIrRows() {
  const rows = [];
  for (const p of status?.enabled && status.port ? status.profiles : []) {
    for (let i = 0; i < p.irCount; i++) rows.push([irName(p.irType, p.irStart + i), `${p.name} #${i}`]);
    if (p.exceptionIr !== null && p.exceptionIr !== undefined) rows.push([irName('word', p.exceptionIr), `${p.name} error code`]);
  }
  return rows;
}

function renderIrs() {
  irCells.clear();
  const rows = rtuIrRows();
  $('ir-rtu').hidden = rows.length === 0;
  $('ir-rtu-rows').replaceChildren(...rows.map(([ioName, what]) => el('tr', { 'data-ir-row': ioName },
    el('th', { scope: 'row', 'data-label': 'IR' }, ioName, el('span', { class: 'meta', text: ` ${what}` })),
    el('td', { 'data-label': 'Value' }, irValueCell(ioName)),
    el('td', { 'data-label': 'Set' }, setForm(`ir-${ioName}`, ioName, (v) => setIr(ioName, v))))));
  $('ir-all').replaceChildren(...IR_TYPES.map((type) => {
    const list = [...irs.values()].filter((r) => r.type === type);
    return el('details', { class: 'ir-type' }, el('summary', { text: `${type.toUpperCase()} · ${PREFIX[type]}-00..${String(list.length - 1).padStart(2, '0')}` }),
      el('ul', { class: 'ir-grid' }, ...list.map((r) => el('li', {}, el('span', { class: 'ir-name', text: r.ioName }), ' ', irValueCell(r.ioName)))));
  }));
  const select = $('ir-any-name');
  const keep = select.value;
  select.replaceChildren(...[...irs.keys()].map((n) => el('option', { value: n, text: n, selected: n === keep })));
}

function paintIrs() {
  irFrame = 0;
  for (const [ioName, cells] of irCells) {
    const text = fmt(irs.get(ioName)?.value, 4);
    for (const c of cells) if (c.textContent !== text) c.textContent = text;
  }
}

/** A change from the event stream (app.js): IR changes update the IR panel. */
export function irChanged(change) {
  const entry = irs.get(change.ioName);
  if (!entry) return;
  entry.value = change.value;
  if (!irFrame) irFrame = requestAnimationFrame(paintIrs);
}

// ---- loading and polling ------------------------------------------------------------------

const visible = new Set();
let timer = 0;
let busy = false;

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const wantDevices = visible.has('fd-panel') && !$('fd-panel').hidden;
    const [s, d] = await Promise.all([api('GET', '/serial'), wantDevices ? api('GET', '/serial/field-devices') : null]);
    const profilesChanged = JSON.stringify(s.profiles?.map((p) => [p.name, p.irType, p.irStart, p.irCount, p.exceptionIr])) !== JSON.stringify(status?.profiles?.map((p) => [p.name, p.irType, p.irStart, p.irCount, p.exceptionIr]));
    status = s;
    renderSerial();
    if (profilesChanged) renderIrs();
    if (d) {
      devices = d;
      renderDevices();
    }
  } finally {
    busy = false;
  }
}

/** Loads everything (first load and after a config restart). */
export async function loadSerial() {
  const [s, d, list] = await Promise.all([api('GET', '/serial'), api('GET', '/serial/field-devices'), api('GET', '/internal-registers')]);
  status = s;
  devices = d;
  irs.clear();
  for (const r of list) irs.set(r.ioName, r);
  $('fd-list').dataset.names = '';
  renderSerial();
  renderDevices();
  renderIrs();
}

function tick() {
  if (document.hidden || busy) return;
  if (!visible.has('serial-panel') && !visible.has('fd-panel')) return;
  if (!status?.port) return;
  void refresh().catch(() => {}); // a restart in progress; the next tick retries
}

export function initSerialMonitor() {
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) visible.add(e.target.id);
      else visible.delete(e.target.id);
    }
  });
  observer.observe($('serial-panel'));
  observer.observe($('fd-panel'));
  clearInterval(timer);
  timer = setInterval(tick, POLL_MS);
  const form = $('ir-any-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      await setIr($('ir-any-name').value, Number($('ir-any-value').value));
      $('ir-any-value').value = '';
    } catch (e) {
      showFieldError(form, e, $('ir-any-value-error'));
    }
  });
}
