// The MQTT panel: client status and the live message log (GET /sim/v1/mqtt/log, then the
// /sim/v1/mqtt/log/stream SSE), newest first, coalesced per animation frame.

import { $, API, act, api, el } from './util.js';

const LOG_MAX = 200;
let messages = [];
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

function render() {
  frame = 0;
  $('mqtt-log').replaceChildren(...messages.slice().reverse().map((m) =>
    el('li', { class: `mq-${m.direction}`, 'data-topic': m.topic },
      el('span', { class: 'dir', text: m.direction === 'out' ? '→ out' : '← in' }), ' ',
      el('span', { class: 'topic', text: m.topic }), ' ',
      el('span', { class: 'payload', text: m.payload }))));
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function push(message) {
  messages.push(message);
  if (messages.length > LOG_MAX) messages.splice(0, messages.length - LOG_MAX);
  schedule();
}

/** Opens (or reopens) the log stream; each open re-reads the log, so nothing is missed. */
export function connectMqttLog() {
  source?.close();
  const s = new EventSource(`${API}/mqtt/log/stream`);
  source = s;
  s.addEventListener('mqtt', (event) => push(JSON.parse(event.data)));
  s.addEventListener('open', () => void act(async () => {
    messages = (await api('GET', '/mqtt/log')).slice(-LOG_MAX);
    schedule();
    await loadMqttStatus();
  }));
  s.addEventListener('error', () => {
    // A closed stream (an HTTP error during a restart) is not retried by the browser.
    if (s.readyState === EventSource.CLOSED && source === s) setTimeout(connectMqttLog, 1000);
  });
}

export function initMqtt() {
  $('mqtt-refresh').addEventListener('click', () => void act(loadMqttStatus));
  $('mqtt-clear').addEventListener('click', () => {
    messages = [];
    schedule();
  });
  connectMqttLog();
}
