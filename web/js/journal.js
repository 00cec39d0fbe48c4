// The Journal panel: the device's event journal (GET /sim/v1/journal), newest first, filtered by
// kind, source and ioName. The first load takes the last `limit` entries; then every 2 s while
// the panel is on screen it asks only for what came after (since=lastSeq) and puts the new rows
// on top, keeping at most 200.

import { $, api, el, fmt, prependCapped } from './util.js';
import { clockTime, whileVisible } from './poll.js';

const POLL_MS = 2000;
const MAX_ROWS = 200;

let lastSeq = 0;
let loaded = false;

function query(extra) {
  const q = new URLSearchParams();
  for (const [name, id] of [['kind', 'jr-kind'], ['source', 'jr-source'], ['ioName', 'jr-io']]) {
    const v = $(id).value.trim();
    if (v) q.set(name, v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q.toString();
}

function limit() {
  const n = Math.trunc(Number($('jr-limit').value));
  return Number.isFinite(n) && n >= 1 ? Math.min(n, MAX_ROWS) : 50;
}

const show = (v) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : fmt(v));

function entryRow(e) {
  const cell = (label, text, cls = '') => el('td', { 'data-label': label, text, class: text ? cls : `${cls} empty`.trim() });
  const channel = [e.ioName, e.attribute].filter(Boolean).join(' ');
  const value = e.previous !== undefined && e.previous !== null ? `${show(e.previous)} → ${show(e.value)}` : show(e.value);
  return el('tr', { 'data-seq': String(e.seq), 'data-kind': e.kind, class: `jr-${e.kind}` },
    el('th', { scope: 'row', 'data-label': 'Seq', text: String(e.seq) }),
    el('td', { 'data-label': 'Time' }, el('time', { datetime: new Date(e.at).toISOString(), text: clockTime(e.at) })),
    cell('Kind', e.kind, 'kind'),
    cell('Source', e.source ?? '', 'source'),
    cell('Peer', e.peer ?? '', 'peer'),
    cell('Channel', channel, 'channel'),
    cell('Value', value, 'value'),
    cell('Action', e.action ?? '', 'action'),
    cell('Result', show(e.result), 'result'));
}

function setCount() {
  const n = $('jr-rows').childElementCount;
  $('jr-count').textContent = String(n);
  $('jr-none').hidden = n > 0;
}

/** Everything again (filter changed, Refresh, after Clear, the journal restarted). */
async function reload() {
  const res = await api('GET', `/journal?${query({ limit: limit() })}`);
  lastSeq = res.lastSeq;
  loaded = true;
  $('jr-rows').replaceChildren(...res.entries.slice().reverse().map(entryRow));
  $('jr-updated').textContent = new Date().toLocaleTimeString();
  setCount();
}

/** Only what came after lastSeq, on top. */
async function poll() {
  if (!loaded) return reload();
  const res = await api('GET', `/journal?${query({ since: lastSeq, limit: MAX_ROWS })}`);
  if (res.lastSeq < lastSeq) return reload(); // a new journal (the emulator restarted)
  lastSeq = res.lastSeq;
  $('jr-updated').textContent = new Date().toLocaleTimeString();
  if (res.entries.length === 0) return;
  prependCapped($('jr-rows'), res.entries.slice().reverse().map(entryRow), MAX_ROWS);
  setCount();
}

async function run(fn) {
  const error = $('jr-error');
  error.hidden = true;
  try {
    await fn();
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  }
}

export const loadJournal = () => run(reload);

export function initJournal() {
  $('jr-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadJournal();
  });
  $('jr-refresh').addEventListener('click', () => void loadJournal());
  $('jr-clear').addEventListener('click', () => void run(async () => {
    await api('DELETE', '/journal');
    await reload();
  }));
  whileVisible($('journal-panel'), POLL_MS, () => ($('jr-auto').checked ? poll() : undefined));
}
