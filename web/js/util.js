// Shared helpers of the web console: DOM building, the API call, error display.

// Relative to the page: the same console works at / and under a fleet's /fleet/v1/devices/NAME/.
export const API = 'sim/v1';

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

// Writes that skip an equal value: writing the same text or value still replaces the node's text
// (or the input's value) and so re-lays out and repaints its row, which under a flood of changes
// (#19) costs more than the changes themselves.

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

export function setClass(node, className) {
  if (node.className !== className) node.className = className;
}

export function setValue(input, value) {
  if (input.value !== value) input.value = value;
}

/**
 * Puts `items` (newest first) on top of `list` and drops what falls off its end, leaving the
 * other lines alone: rebuilding a whole log for each new line is what a flood cannot afford (#19).
 */
export function prependCapped(list, items, max) {
  list.prepend(...(items.length > max ? items.slice(0, max) : items));
  while (list.childElementCount > max) list.lastElementChild.remove();
}

/**
 * The page's one call to the emulator API. Every call says it comes from the page
 * (X-Requested-With), so a 401 has no Basic challenge and the browser shows no prompt of its own;
 * a 401 is then announced as an `iothinx:unauthorized` event on `document` (detail: method, path,
 * message), which the login form (login.js) answers. A failure throws an Error with the answer's
 * `body`, `status` and `retryAfter` (the Retry-After header of a 429, or null).
 */
export async function api(method, path, body) {
  const res = await fetch(API + path, {
    method,
    // JSON even without a body: the emulator refuses other state-changing requests as cross-site (#14 point 12).
    headers: { 'X-Requested-With': 'iothinx-sim-ui', ...(method === 'GET' ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const error = new Error(data?.message ?? `${method} ${path}: HTTP ${res.status}`);
    error.body = data;
    error.status = res.status;
    error.retryAfter = res.headers.get('Retry-After');
    if (res.status === 401) document.dispatchEvent(new CustomEvent('iothinx:unauthorized', { detail: { method, path, message: error.message } }));
    throw error;
  }
  return data;
}

export function notify(message) {
  const n = $('notice');
  n.textContent = message;
  n.hidden = !message;
}

/** Runs an action, showing a failure in the notice area. */
export async function act(fn) {
  try {
    await fn();
    notify('');
  } catch (e) {
    notify(e.message);
  }
}

export function fmt(v, digits = 3) {
  if (typeof v !== 'number') return String(v ?? '–');
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
}

/**
 * Shows a server validation error next to its field: the element with data-error-for equal to
 * the error's path (or `fallback`), and marks the input whose id the error element names.
 */
export function showFieldError(scope, error, fallback) {
  const path = error.body?.path ?? '';
  const target = scope.querySelector(`[data-error-for="${CSS.escape(path)}"]`) ?? fallback;
  target.textContent = error.message;
  target.hidden = false;
  const input = target.id.endsWith('-error') ? document.getElementById(target.id.slice(0, -'-error'.length)) : null;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', target.id);
    input.focus();
  }
}

export function clearFieldErrors(scope) {
  for (const p of scope.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const input of scope.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** A labelled input with its error line (data-error-for = path). */
export function field(id, label, path, props = {}) {
  const input = el('input', { id, type: 'text', ...props });
  return el('div', { class: 'fld' }, el('label', { for: id, text: label }), input,
    el('p', { class: 'field-error', 'data-error-for': path, id: `${id}-error`, hidden: true }));
}
