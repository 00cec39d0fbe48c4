// The Configure panel: device identity and module and channel names and modes, edited on the
// running profile document (GET /sim/v1/config) and PUT back whole. The server validates; a 400
// names the zod path (device.name, slots.3.channels.1.mode), shown next to that field. On
// success the emulator restarts in-process on the same address and `onApplied` reloads the UI.
// A channel's mode is a list of the modes its module offers there (GET /sim/v1/modules); the
// other choices and number bounds come from the profile's JSON Schema (profile-schema.js).

import { $, API, api, clearFieldErrors, el, field, showFieldError } from './util.js';
import { choicesAt, loadProfileSchema, rangeText } from './profile-schema.js';

const IDENTITY = [['name', 'Name'], ['serialNumber', 'Serial number'], ['firmwareVersion', 'Firmware version'], ['ip', 'IP address']];

let config = null;
let snapshot = null;
/** GET /sim/v1/modules: per model, per channel, the modes it accepts (the default first). */
let catalog = null;
/** Extra sections of the form (services.js, serial.js): render(config) → nodes, read(doc) optional. */
const sections = [];

export function registerSection(section) {
  sections.push(section);
}

/** Sets `value` at a dotted path of `doc`, creating the objects on the way. */
function setPath(doc, path, value) {
  const keys = path.split('.');
  let o = doc;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys.at(-1)] = value;
}

const getPath = (doc, path) => path.split('.').reduce((o, k) => o?.[k], doc);

/** Kinds whose value is a number, with the schema's bounds shown beside the label. */
const NUMERIC = new Set(['int', 'num', 'nnum', 'intOr']);

/**
 * An input bound to a dotted path of the profile document; read() writes it back only when it
 * changed. kind: bool, int, num, nnum (empty = null), intOr (a number or a word, as modbus.unitId's
 * "any"), str, nstr (empty = null), secret (empty = unchanged), enum, enumNum. An enum's options
 * are the schema's values at `path`; `options` gives their labels ({value: text}) or, as an
 * array of [value, text], the list itself.
 */
export function bound(path, label, kind = 'str', options = {}) {
  const id = `cfg-${path.replaceAll('.', '-')}`;
  const value = getPath(config, path);
  const initial = kind === 'secret' ? '' : kind === 'bool' ? String(Boolean(value)) : String(value ?? '');
  const attrs = { id, 'data-path': path, 'data-kind': kind, 'data-initial': initial };
  const error = el('p', { class: 'field-error', 'data-error-for': path, id: `${id}-error`, hidden: true });
  let input;
  if (kind === 'bool') {
    input = el('input', { ...attrs, type: 'checkbox', checked: Boolean(value) });
    return el('div', { class: 'fld' }, el('label', { class: 'switch' }, input, ` ${label}`), error);
  }
  if (kind === 'enum' || kind === 'enumNum') {
    const list = Array.isArray(options) ? options : choicesAt(path).map((v) => [v, options[v]]);
    input = el('select', attrs, ...list.map(([v, text]) => el('option', { value: String(v), text: text ?? String(v), selected: String(v) === initial })));
  } else {
    const type = kind === 'int' || kind === 'num' || kind === 'nnum' ? 'number' : kind === 'secret' ? 'password' : 'text';
    input = el('input', { ...attrs, type, value: initial, ...(kind === 'secret' ? { autocomplete: 'new-password', placeholder: 'unchanged' } : {}), ...(kind === 'num' || kind === 'nnum' ? { step: 'any' } : {}) });
  }
  const range = NUMERIC.has(kind) ? rangeText(path) : '';
  return el('div', { class: 'fld' }, el('label', { for: id }, label, range ? el('span', { class: 'range', text: ` ${range}` }) : null), input, error);
}

/** A number from a field: empty stays a string so that the server names the field. */
export const num = (v) => (v.trim() === '' || Number.isNaN(Number(v)) ? v : Number(v));

function readBound(doc) {
  for (const input of $('cfg-form').querySelectorAll('[data-path]')) {
    const { path, kind, initial } = input.dataset;
    const raw = kind === 'bool' ? String(input.checked) : input.value;
    if (raw === initial || (kind === 'secret' && raw === '')) continue;
    const empty = raw.trim() === '';
    const value = kind === 'bool' ? input.checked
      : (kind === 'nstr' || kind === 'nnum') && empty ? null
        : NUMERIC.has(kind) || kind === 'enumNum' ? num(raw) : raw;
    setPath(doc, path, value);
  }
}

export async function loadConfig() {
  [config, snapshot, catalog] = await Promise.all([api('GET', '/config'), api('GET', '/device'), catalog ?? api('GET', '/modules'), loadProfileSchema()]);
  render();
}

/** The modes a channel of `module` (a model or its -T variant) accepts, the default first. */
function modesOf(module, index) {
  return catalog.find((m) => m.variants.includes(module))?.channels[index]?.modes ?? [];
}

function render() {
  const form = $('cfg-form');
  const identity = el('fieldset', {}, el('legend', { text: 'Device identity' }),
    ...IDENTITY.map(([key, label]) => field(`cfg-device-${key}`, label, `device.${key}`, { value: config.device[key] ?? '', 'data-key': key })));
  const modules = snapshot.slots.filter((s) => s.slot !== 0).map((slot) =>
    el('details', { class: 'cfg-slot', 'data-slot': String(slot.slot) },
      el('summary', { text: `Slot ${slot.slot} · ${slot.module} · ${slot.name}` }),
      field(`cfg-slot-${slot.slot}-name`, 'Module name', `slot:${slot.slot}:name`, { value: slot.name, 'data-role': 'module-name' }),
      el('table', { class: 'cfg-ch' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: '#' }), el('th', { scope: 'col', text: 'Name' }), el('th', { scope: 'col', text: 'Mode' }))),
        el('tbody', {}, ...slot.channels.map((ch) => {
          /** A text field, or a list of `choices` ([value, text]); none for a mode-less channel. */
          const cell = (what, value, choices) => {
            const id = `cfg-${slot.slot}-${ch.index}-${what}`;
            const attrs = { id, 'data-what': what, 'data-index': String(ch.index) };
            const input = !choices ? el('input', { ...attrs, type: 'text', value: String(value ?? '') })
              : choices.length === 0 ? null
                : el('select', attrs, ...choices.map(([v, text]) => el('option', { value: v, text, selected: v === value })));
            if (!input) return el('td', { class: 'none', text: '—', title: 'this channel has no mode' });
            return el('td', {}, el('label', { for: id, class: 'sr', text: `Slot ${slot.slot} channel ${ch.index} ${what}` }), input,
              el('p', { class: 'field-error', 'data-error-for': `ch:${slot.slot}:${ch.index}:${what}`, id: `${id}-error`, hidden: true }));
          };
          const modes = modesOf(slot.module, ch.index).map((m) => [m.name, `${m.name} (${m.code})`]);
          return el('tr', {}, el('td', { text: String(ch.index) }), cell('name', ch.name), cell('mode', ch.modeName ?? '', modes));
        })))));
  $('cfg-fields').replaceChildren(identity, ...sections.flatMap((s) => s.render(config)), el('h3', { text: 'Modules and channels' }), ...modules);
  form.hidden = false;
}

/** The profile document with the form's values; only what differs from the running device is written. */
function read() {
  const doc = structuredClone(config);
  for (const [key] of IDENTITY) doc.device[key] = $(`cfg-device-${key}`).value.trim();
  for (const slot of snapshot.slots) {
    if (slot.slot === 0) continue;
    let entry = doc.slots.find((s) => s.slot === slot.slot);
    if (!entry) continue;
    const name = $(`cfg-slot-${slot.slot}-name`).value.trim();
    if (name !== slot.name) entry.name = name;
    for (const ch of slot.channels) {
      const name = $(`cfg-${slot.slot}-${ch.index}-name`).value.trim();
      const mode = $(`cfg-${slot.slot}-${ch.index}-mode`)?.value ?? (ch.modeName ?? '');
      const changes = {};
      if (name !== ch.name) changes.name = name;
      if (mode !== (ch.modeName ?? '')) changes.mode = mode;
      if (Object.keys(changes).length === 0) continue;
      entry.channels ??= [];
      let c = entry.channels.find((x) => x.index === ch.index);
      if (!c) entry.channels.push((c = { index: ch.index }));
      Object.assign(c, changes);
    }
  }
  readBound(doc);
  for (const s of sections) s.read?.(doc);
  return doc;
}

/** Maps a zod path of the document to the form's error key (array positions → slot and channel). */
function errorKey(doc, path) {
  const m = /^slots\.(\d+)(?:\.channels\.(\d+))?\.(name|mode)$/.exec(path);
  if (!m) return path;
  const slot = doc.slots[Number(m[1])];
  if (!slot) return path;
  if (m[2] === undefined) return `slot:${slot.slot}:${m[3]}`;
  const ch = slot.channels?.[Number(m[2])];
  return ch ? `ch:${slot.slot}:${ch.index}:${m[3]}` : path;
}

/**
 * The error key itself when the form has a place for it, else its nearest parent that has one
 * (mqtt.topics.2.ioName → mqtt.topics.2, the rule's row), else the key (the form-wide line).
 */
function nearestKey(form, key) {
  const has = (k) => form.querySelector(`[data-error-for="${CSS.escape(k)}"]`) !== null;
  for (let k = key; k.includes('.'); k = k.slice(0, k.lastIndexOf('.'))) if (has(k)) return k;
  return key;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the restarted emulator answers. */
async function waitForRestart() {
  await sleep(300);
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`${API}/health`);
      if (res.ok) return;
    } catch {
      // restarting
    }
    await sleep(200);
  }
}

export function initConfig(onApplied) {
  const form = $('cfg-form');
  // The server checks every field and names the one it refuses; the browser's own bubbles would
  // stop an out-of-range number before the server could say so next to it.
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    $('cfg-saved').textContent = '';
    const doc = read();
    try {
      await api('PUT', '/config', doc);
    } catch (e) {
      const path = e.body?.path ?? '';
      const key = nearestKey(form, errorKey(doc, path));
      if (key.startsWith('slot:') || key.startsWith('ch:')) form.querySelector(`[data-error-for="${CSS.escape(key)}"]`)?.closest('details')?.setAttribute('open', '');
      showFieldError(form, { message: e.message, body: { path: key } }, $('cfg-error-form'));
      return;
    }
    $('cfg-saved').textContent = 'Applied; restarting…';
    await waitForRestart();
    await onApplied();
    await loadConfig();
    $('cfg-saved').textContent = 'Applied.';
  });
  $('cfg-reload').addEventListener('click', () => {
    clearFieldErrors(form);
    void loadConfig().catch((e) => showFieldError(form, e, $('cfg-error-form')));
  });
}
