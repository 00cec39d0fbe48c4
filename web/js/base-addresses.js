// The Modbus base-address editor: one row per slot with its effective start address in each
// table. Saving sends the overrides (every field already overridden plus every field changed);
// "Reload defaults" drops them. `onChanged` refreshes the address table.
//
// A slot shows an address only for the point types its module has (#20 part 3): a 45MR-4420 has
// no coils or discrete inputs, a power module (45MR-7210) only holding registers. Which ones
// come from the address table itself (GET /sim/v1/modbus/map lists every point a slot has), so
// the page keeps no copy of the modules' register tables (src/modbus/tables.ts).

import { $, api, clearFieldErrors, el, showFieldError } from './util.js';
import { onSnapshot } from './bus.js';

const TABLES = ['coil', 'discrete', 'holding', 'input'];
const TABLE_NAMES = { coil: 'coils', discrete: 'discrete inputs', holding: 'holding registers', input: 'input registers' };
let state = { effective: [], overrides: [] };
/** slot → the point types its module has points in. */
let tablesOf = new Map();
/** slot → module model, from the device snapshot, for the row's label. */
const models = new Map();

export async function loadBaseAddresses() {
  const [bases, map] = await Promise.all([api('GET', '/modbus/base-addresses'), api('GET', '/modbus/map')]);
  tablesOf = new Map();
  for (const row of map) {
    if (!tablesOf.has(row.slot)) tablesOf.set(row.slot, new Set());
    tablesOf.get(row.slot).add(row.table);
  }
  state = bases;
  render();
}

const slotLabel = (slot) => (models.has(slot) ? `${slot} · ${models.get(slot)}` : String(slot));

onSnapshot((device) => {
  models.clear();
  for (const s of device.slots) if (s.slot !== 0) models.set(s.slot, s.module);
  for (const th of $('base-rows').querySelectorAll('tr[data-slot] > th')) th.textContent = slotLabel(Number(th.parentElement.dataset.slot));
});

function render() {
  $('base-rows').replaceChildren(...state.effective.filter((r) => r.slot !== 0).map((r) =>
    el('tr', { 'data-slot': String(r.slot) }, el('th', { scope: 'row', text: slotLabel(r.slot) }), ...TABLES.map((t) => {
      const id = `base-${r.slot}-${t}`;
      if (!tablesOf.get(r.slot)?.has(t)) {
        return el('td', { class: 'none', 'data-table': t }, el('span', { 'aria-hidden': 'true', text: '–' }),
          el('span', { class: 'sr', text: `Slot ${r.slot} has no ${TABLE_NAMES[t]}` }));
      }
      const overridden = state.overrides.some((o) => o.slot === r.slot && o[t] !== undefined);
      return el('td', { 'data-table': t }, el('label', { for: id, class: 'sr', text: `Slot ${r.slot} ${t} base address` }),
        el('input', { id, type: 'number', min: '0', step: '1', value: String(r[t]), 'data-table': t, class: overridden ? 'overridden' : '' }),
        el('p', { class: 'field-error', id: `${id}-error`, 'data-error-for': `${r.slot}:${t}`, hidden: true }));
    }))));
}

function read() {
  const overrides = [];
  for (const r of state.effective) {
    if (r.slot === 0) continue;
    const old = state.overrides.find((o) => o.slot === r.slot) ?? {};
    const o = { slot: r.slot };
    for (const t of TABLES) {
      const input = $(`base-${r.slot}-${t}`);
      // A point type the module lacks has no field; an override a profile gave it is kept as it is.
      if (!input) {
        if (old[t] !== undefined) o[t] = old[t];
        continue;
      }
      const raw = input.value;
      const v = raw === '' ? NaN : Number(raw);
      if (old[t] !== undefined || v !== r[t]) o[t] = v;
    }
    if (Object.keys(o).length > 1) overrides.push(o);
  }
  return { overrides };
}

export function initBaseAddresses(onChanged) {
  const form = $('base-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    $('base-saved').textContent = '';
    const body = read();
    try {
      await api('PUT', '/modbus/base-addresses', body);
    } catch (e) {
      // overrides.N.table → the slot's input
      const m = /^overrides\.(\d+)\.(\w+)$/.exec(e.body?.path ?? '');
      const o = m ? body.overrides[Number(m[1])] : undefined;
      showFieldError(form, { message: e.message, body: { path: o ? `${o.slot}:${m[2]}` : '' } }, $('base-error-form'));
      return;
    }
    await loadBaseAddresses();
    await onChanged();
    $('base-saved').textContent = 'Saved.';
  });
  $('base-defaults').addEventListener('click', async () => {
    clearFieldErrors(form);
    try {
      await api('POST', '/modbus/base-addresses/reload-defaults');
      await loadBaseAddresses();
      await onChanged();
      $('base-saved').textContent = 'Defaults restored.';
    } catch (e) {
      showFieldError(form, e, $('base-error-form'));
    }
  });
}
