// The Modbus base-address editor: one row per slot with its effective start address in each
// table. Saving sends the overrides (every field already overridden plus every field changed);
// "Reload defaults" drops them. `onChanged` refreshes the address table.

import { $, api, clearFieldErrors, el, showFieldError } from './util.js';

const TABLES = ['coil', 'discrete', 'holding', 'input'];
let state = { effective: [], overrides: [] };

export async function loadBaseAddresses() {
  state = await api('GET', '/modbus/base-addresses');
  render();
}

function render() {
  $('base-rows').replaceChildren(...state.effective.filter((r) => r.slot !== 0).map((r) =>
    el('tr', { 'data-slot': String(r.slot) }, el('th', { scope: 'row', text: String(r.slot) }), ...TABLES.map((t) => {
      const id = `base-${r.slot}-${t}`;
      const overridden = state.overrides.some((o) => o.slot === r.slot && o[t] !== undefined);
      return el('td', {}, el('label', { for: id, class: 'sr', text: `Slot ${r.slot} ${t} base address` }),
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
      const raw = $(`base-${r.slot}-${t}`).value;
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
