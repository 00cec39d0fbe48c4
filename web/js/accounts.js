// The Accounts panel: the device's three accounts (GET /sim/v1/accounts), each changed on its
// own (PUT /sim/v1/accounts/{role} with only what changed). A 400 names the field (name,
// password, enabled); its message shows next to it. Logging in and out is login.js's.

import { $, api, clearFieldErrors, el, showFieldError } from './util.js';
import './login.js';

function fieldWithError(id, path, label, input) {
  return el('div', { class: 'fld' }, label, input,
    el('p', { class: 'field-error', 'data-error-for': path, id: `${id}-error`, hidden: true }));
}

function accountForm(user) {
  const p = `acct-${user.role}`;
  const name = el('input', { id: `${p}-name`, type: 'text', value: user.name, autocomplete: 'off' });
  const password = el('input', { id: `${p}-password`, type: 'password', value: '', autocomplete: 'new-password', placeholder: 'unchanged' });
  const enabled = el('input', { id: `${p}-enabled`, type: 'checkbox', checked: user.enabled });
  const saved = el('output', { id: `${p}-saved` });
  const formError = el('p', { class: 'field-error', id: `${p}-error-form`, hidden: true });
  const form = el('form', { class: 'acct', 'data-role': user.role },
    el('fieldset', {}, el('legend', { text: user.role }),
      fieldWithError(`${p}-name`, 'name', el('label', { for: `${p}-name`, text: 'Name' }), name),
      fieldWithError(`${p}-password`, 'password', el('label', { for: `${p}-password`, text: 'New password (empty: unchanged)' }), password),
      fieldWithError(`${p}-enabled`, 'enabled', null, el('label', { class: 'switch' }, enabled, ' Enabled'))),
    formError,
    el('div', { class: 'row' }, el('button', { type: 'submit', text: `Update ${user.role}` }), saved));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    saved.textContent = '';
    const body = {};
    if (name.value.trim() !== user.name) body.name = name.value.trim();
    if (password.value !== '') body.password = password.value;
    if (enabled.checked !== user.enabled) body.enabled = enabled.checked;
    if (Object.keys(body).length === 0) {
      saved.textContent = 'No changes.';
      return;
    }
    try {
      const updated = await api('PUT', `/accounts/${user.role}`, body);
      Object.assign(user, updated);
      password.value = '';
      saved.textContent = 'Saved.';
    } catch (e) {
      showFieldError(form, e, formError);
    }
  });
  return form;
}

export async function loadAccounts() {
  let accounts;
  try {
    accounts = await api('GET', '/accounts');
  } catch (e) {
    // Logged in with a lower role: the panel says so instead of the page's error notice.
    if (e.status !== 403) throw e;
    $('acct-state').textContent = 'Accounts are on; managing them needs the administrator account.';
    $('acct-forms').replaceChildren();
    return;
  }
  $('acct-state').textContent = accounts.enabled
    ? 'Accounts are on: the emulator API asks for credentials.'
    : 'Accounts are off (http.accounts.enabled): the API is open; changes are kept for when they are on.';
  $('acct-forms').replaceChildren(...accounts.users.map(accountForm));
}
