// The MQTT panel: client status and the live message log (GET /sim/v1/mqtt/log, then the
// /sim/v1/mqtt/log/stream SSE), newest first, coalesced per animation frame: a frame puts its
// new messages on top and drops what falls off the end, the other lines stay.

import { $, API, act, api, el, prependCapped } from './util.js';

const LOG_MAX = 200;
/** Messages not yet shown, oldest first. */
let pending = [];
/** The next frame replaces the whole log (a re-read log, Clear) instead of prepending. */
let replace = false;
let source = null;
let frame = 0;

export async function loadMqttStatus() {
  const status = await api('GET', '/mqtt');
  if (!status.enabled) {
    $('mqtt-status').replaceChildren(el('dt', { text: 'state' }), el('dd', { text: 'off' }));
    return;
  }
  const keys = ['state', 'broker', 'url', 'clientId', 'published', 'received', 'dropped', 'queued', 'topics', 'lastError'];
  $('mqtt-status').replaceChildren(...keys.filter((k) => k in status).flatMap((k) => [el('dt', { text: k }), el('dd', { text: String(status[k] ?? '–') })]));
}

function messageItem(m) {
  return el('li', { class: `mq-${m.direction}`, 'data-topic': m.topic },
    el('span', { class: 'dir', text: m.direction === 'out' ? '→ out' : '← in' }), ' ',
    el('span', { class: 'topic', text: m.topic }), ' ',
    el('span', { class: 'payload', text: m.payload }));
}

function render() {
  frame = 0;
  const items = pending.slice(-LOG_MAX).reverse().map(messageItem);
  pending = [];
  if (replace) $('mqtt-log').replaceChildren(...items);
  else prependCapped($('mqtt-log'), items, LOG_MAX);
  replace = false;
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

/** Shows `messages` (oldest first) instead of the whole log, in the next frame. */
function replaceAll(messages) {
  pending = messages.slice(-LOG_MAX);
  replace = true;
  schedule();
}

function push(message) {
  pending.push(message);
  // Trimmed in batches, not per message; bounded while no frame runs (a hidden tab).
  if (pending.length >= 2 * LOG_MAX) pending = pending.slice(-LOG_MAX);
  schedule();
}

/** Opens (or reopens) the log stream; each open re-reads the log, so nothing is missed. */
export function connectMqttLog() {
  source?.close();
  const s = new EventSource(`${API}/mqtt/log/stream`);
  source = s;
  s.addEventListener('mqtt', (event) => push(JSON.parse(event.data)));
  s.addEventListener('open', () => void act(async () => {
    replaceAll(await api('GET', '/mqtt/log'));
    await loadMqttStatus();
  }));
  s.addEventListener('error', () => {
    // A closed stream (an HTTP error during a restart) is not retried by the browser.
    if (s.readyState === EventSource.CLOSED && source === s) setTimeout(connectMqttLog, 1000);
  });
}

export function initMqtt() {
  $('mqtt-refresh').addEventListener('click', () => void act(loadMqttStatus));
  $('mqtt-clear').addEventListener('click', () => replaceAll([]));
  connectMqttLog();
}
