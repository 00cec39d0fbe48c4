// The page's own login form and logout (#20), for when accounts are on (http.accounts.enabled).
// The page's API calls are not challenged (src/http/auth.ts `challenges`), so the browser shows
// no Basic prompt of its own; a 401 opens this form instead.
//
//   api() answers 401 ─► 'iothinx:unauthorized' on document ─► <dialog> name + password
//        ─► POST /sim/v1/login ─► 200: session cookie (HttpOnly) ─► reload: the page loads as fresh
//                                └► 401 wrong password / 429 throttled (Retry-After): shown by the form
//   GET /sim/v1/whoami, accounts on ─► "name (role)" and Log out in the top bar; a role that may
//        not change everything gets a hint of what is refused (403)
//   Log out ─► POST /sim/v1/logout ─► reload: no cookie, so the form again
//
// Both ways end in a reload: the event streams the page opened (app.js, mqtt.js, scenarios.js)
// carry on with the session they were opened with, so after a logout only a reload stops them,
// and after a login a reload is what opens them again and loads every panel, as on a fresh load.

import { api, el } from './util.js';

const HINTS = {
  user: 'Read-only account: changes are refused (403).',
  operator: 'Operator: I/O, faults and the clock; settings and accounts are refused (403).',
};

let dialog = null;

function loginDialog() {
  const name = el('input', { id: 'login-name', type: 'text', autocomplete: 'username', required: true, maxlength: '256' });
  const password = el('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '256' });
  const submit = el('button', { type: 'submit', id: 'login-submit', text: 'Log in' });
  const error = el('p', { id: 'login-error', class: 'field-error', role: 'alert', hidden: true });
  const form = el('form', { id: 'login-form' },
    el('h2', { id: 'login-h', text: 'Log in to iothinx-sim' }),
    el('p', { class: 'hint', text: 'Accounts are on: the emulator asks for one of the device\'s accounts (Administrator, Operator, User).' }),
    el('div', { class: 'fld' }, el('label', { for: 'login-name', text: 'Name' }), name),
    el('div', { class: 'fld' }, el('label', { for: 'login-password', text: 'Password' }), password),
    error,
    el('div', { class: 'row' }, submit));
  const d = el('dialog', { id: 'login-dialog', class: 'login', 'aria-labelledby': 'login-h' }, form);
  // Nothing on the page works without an account: Escape does not dismiss the form.
  d.addEventListener('cancel', (event) => event.preventDefault());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    password.removeAttribute('aria-invalid');
    submit.disabled = true;
    try {
      await api('POST', '/login', { name: name.value, password: password.value });
      location.reload();
      return;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      if (e.status === 401) {
        password.value = '';
        password.setAttribute('aria-invalid', 'true');
        password.setAttribute('aria-describedby', 'login-error');
        password.focus();
      }
      // Throttled (429): any attempt before Retry-After is refused, even the right password.
      const wait = e.status === 429 ? Number(e.retryAfter) : 0;
      if (wait > 0) {
        setTimeout(() => (submit.disabled = false), wait * 1000);
        return;
      }
    }
    submit.disabled = false;
  });
  return d;
}

/** Shows the form (once: every refused call of the page lands here). */
function showLogin() {
  if (!dialog) {
    dialog = loginDialog();
    document.body.append(dialog);
  }
  if (!dialog.open) {
    dialog.showModal();
    document.getElementById('login-name').focus();
  }
}

async function logout(button) {
  button.disabled = true;
  try {
    await api('POST', '/logout');
  } finally {
    location.reload();
  }
}

/** The account in the top bar, with Log out; nothing when accounts are off. */
async function showSession() {
  let me;
  try {
    me = await api('GET', '/whoami');
  } catch {
    return; // 401: the form is showing; else the panels show the error
  }
  if (!me.accountsEnabled) return;
  const button = el('button', { type: 'button', id: 'logout', text: 'Log out' });
  button.addEventListener('click', () => void logout(button));
  const hint = HINTS[me.role];
  const session = el('div', { id: 'session', class: 'session', 'data-role': me.role },
    el('span', { id: 'session-who', text: `${me.name ?? '?'} (${me.role})` }),
    hint ? el('span', { id: 'session-hint', class: 'session-hint', text: hint }) : null,
    button);
  (document.querySelector('header.top') ?? document.body).append(session);
}

document.addEventListener('iothinx:unauthorized', showLogin);
void showSession();
