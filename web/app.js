// iothinx-sim web console: the device's faceplate, live over /sim/v1/events, the controls of
// the channel clicked, and the panels behind tabs (js/nav.js). Vanilla DOM, no build step.
//
//   page load ─► <script id="device-snapshot"> (inlined by the server) ─► model ─► faceplate, drawn whole before any fetch
//   EventSource open ─► GET /sim/v1/device ─► values into the model ─► redrawn where changed (the faceplate drawn anew only for another rail)
//   EventSource change ─► model[attr] = value ─► dirty sets ─► a frame at most every FRAME_MS ─► redraw (bounded per frame)
//   click on a channel ─► its control row (buildRow) under the faceplate ─► PUT /sim/v1/... ─► response channel ─► model ─► dirty

import { $, API, act, api, clearFieldErrors, el, fmt, notify, prependCapped, setAttr, setClass, setText, setValue, showFieldError } from './js/util.js';
import { initBaseAddresses, loadBaseAddresses } from './js/base-addresses.js';
import { publishChange, publishSnapshot } from './js/bus.js';
import { initConfig, loadConfig } from './js/config.js';
import { drawFaceplate, FACE_ATTRIBUTES, LED_ATTR, statusText, unitOf } from './js/faceplate.js';
import { initNav } from './js/nav.js';
import './js/services.js';
import './js/trends.js';
import './js/serial.js';
import { loadAccounts } from './js/accounts.js';
import { connectMqttLog, initMqtt, loadMqttStatus } from './js/mqtt.js';
import { initSnmp, loadSnmp } from './js/snmp.js';
import { signalForm } from './js/signal.js';
import { initSerialMonitor, irChanged, loadSerial } from './js/serial-monitor.js';
import { initFaults, loadFaults } from './js/faults.js';
import { initJournal, loadJournal } from './js/journal.js';
import { initScenarios, loadRuns } from './js/scenarios.js';
const LOG_MAX = 50;

/** @type {{slots: any[]} & Record<string, any> | null} */
let device = null;
/** key "slot:index" → the channel of the snapshot, kept current by the event stream. */
const channels = new Map();
/** key "slot:index" → the function that redraws its control row, for the rows open under the faceplate. */
const rows = new Map();
/** Control rows to redraw. */
const dirty = new Set();
/** Faceplate channels to redraw. */
const faceDirty = new Set();
let headDirty = false;
let frame = 0;
/** Changes not yet in the live log, oldest first (at most LOG_MAX are kept: older ones would scroll out anyway). */
let logPending = [];
/** Whether the event stream is open (the head unit's RDY LED). */
let live = false;

// ---- rendering --------------------------------------------------------------------------

/**
 * At most this many control rows are redrawn in one frame; the others stay dirty for the next
 * frame, oldest first: redrawing a busy row costs ~0.7 ms (#19), and a bounded frame stays well
 * under a long task (50 ms) even on a shared CPU.
 */
const ROWS_PER_FRAME = 10;
/**
 * At most this many faceplate channels are redrawn in one frame. A LED is an attribute and an
 * analog channel a text and a transform in a fixed box laid out and painted on its own (style.css
 * .chan contain), a fraction of a control row's cost; under a flood (#19, 1,000 changes a
 * second) a 94-channel rail is still redrawn whole several times a second.
 */
const FACE_PER_FRAME = 24;
/**
 * The live log is redrawn at most every LOG_MS: a lone change shows in the next frame, while under
 * a flood (where its 50 lines turn over 20 times a second, faster than anyone reads) it costs a
 * few redraws a second instead of one per frame.
 */
const LOG_MS = 250;
let logShownAt = -Infinity;
/** While the live log waits out LOG_MS with no row dirty: the timer that asks for the frame after. */
let logTimer = 0;

/** The faceplate's redraw functions (js/faceplate.js), for the snapshot drawn last. */
let face = null;

/**
 * Frames are drawn at most every FRAME_MS. Each frame costs chromium a fixed few ms of style,
 * layout, paint and commit however little changed (measured with ui-perf's flood, #19): at 60
 * frames a second that was half the page's main thread; at 30 a second LEDs and values still look
 * live (5.7 ms of CPU a frame, 15% of the thread, in chromium's trace), and a lone change after a
 * quiet spell still shows in the next frame.
 */
const FRAME_MS = 33;
let flushedAt = -Infinity;
/** While a frame waits out FRAME_MS: the timer that asks for it. */
let frameTimer = 0;

function schedule() {
  if (frame || frameTimer) return;
  const wait = flushedAt + FRAME_MS - performance.now();
  if (wait <= 0) frame = requestAnimationFrame(flush);
  else {
    frameTimer = setTimeout(() => {
      frameTimer = 0;
      frame = requestAnimationFrame(flush);
    }, wait);
  }
}

/** Whether the device view (faceplate and controls) is on screen: behind another tab (js/nav.js) its redraws wait until it is back. */
const deviceShown = () => !$('device').hidden;

function flush() {
  frame = 0;
  flushedAt = performance.now();
  const shown = deviceShown();
  if (shown) {
    let budget = FACE_PER_FRAME;
    for (const key of faceDirty) {
      if (budget-- === 0) break;
      faceDirty.delete(key);
      face?.channel(key);
    }
    budget = ROWS_PER_FRAME;
    for (const key of dirty) {
      if (budget-- === 0) break;
      dirty.delete(key);
      rows.get(key)?.();
    }
    if (headDirty) face?.head();
    headDirty = false;
  }
  if (logPending.length) {
    const wait = logShownAt + LOG_MS - performance.now();
    if (wait <= 0) {
      logShownAt = performance.now();
      renderLog();
    } else if (!logTimer) {
      // Not a frame request per frame until then: one timer for the time that is left.
      logTimer = setTimeout(() => {
        logTimer = 0;
        schedule();
      }, wait);
    }
  }
  if (shown && (dirty.size || faceDirty.size)) schedule();
}

// Back on the device view: what changed meanwhile is drawn.
addEventListener('hashchange', schedule);

function setConn(text, isLive) {
  live = isLive;
  $('conn').textContent = text;
  headDirty = true;
  schedule();
}

/** The channels whose controls are open under the faceplate ("slot:index"), in rail order. */
let openKeys = [];

/** Opens the control rows of `keys` under the faceplate (one channel, or a whole module), built now. */
function openDetails(keys, title) {
  openKeys = keys.filter((k) => channels.has(k));
  rows.clear();
  dirty.clear();
  const pane = $('details');
  if (!openKeys.length) {
    pane.hidden = true;
    $('details-rows').replaceChildren();
    face?.select([]);
    return;
  }
  const slotOf = (ch) => device.slots.find((s) => s.slot === ch.slot);
  $('details-h').textContent = title;
  $('details-rows').replaceChildren(...openKeys.map((k) => {
    const ch = channels.get(k);
    return buildRow(slotOf(ch), ch);
  }));
  pane.hidden = false;
  face?.select(openKeys);
}

function openChannel(key) {
  const ch = channels.get(key);
  if (!ch) return;
  const slot = device.slots.find((s) => s.slot === ch.slot);
  openDetails([key], `Slot ${ch.slot} · ${slot.module} · ${ch.name} (${ch.ioName})`);
  $('details').scrollIntoView({ block: 'nearest' });
}

function openModule(slotNo) {
  const slot = device.slots.find((s) => s.slot === slotNo);
  if (!slot) return;
  openDetails((slot.channels ?? []).map((ch) => `${slotNo}:${ch.index}`), `Slot ${slotNo} · ${slot.module} (${slot.name}): every channel`);
}

/** Closes the controls and puts the focus back on the faceplate channel they were opened from. */
function closeDetails() {
  const ioName = channels.get(openKeys[0])?.ioName;
  openDetails([], '');
  if (ioName) $('rail').querySelector(`[data-io="${CSS.escape(ioName)}"]`)?.focus();
}

$('details-close').addEventListener('click', closeDetails);
$('details').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeDetails();
});

/** What the faceplate's drawing depends on: the modules and their channels' names, types and modes (not values). */
const layoutOf = (d) => JSON.stringify([d.model, d.slots.map((s) => [s.slot, s.module, s.name, (s.channels ?? []).map((c) => [c.index, c.type, c.ioName, c.name, c.modeName])])]);
let drawnLayout = '';

/**
 * A new snapshot. The same rail as drawn (a reconnect, or the first fetch after the snapshot
 * inlined in the page): its values go into the model the faceplate and the open controls already
 * show, and only what changed is redrawn, in the next frames. Another rail: the faceplate is
 * drawn whole, and the open controls are rebuilt over the new channels.
 */
function setDevice(next) {
  const layout = layoutOf(next);
  if (device && face && layout === drawnLayout) {
    const { slots, ...identity } = next;
    Object.assign(device, identity);
    for (const slot of slots) {
      const mine = device.slots.find((s) => s.slot === slot.slot);
      const { channels: fresh = [], ...state } = slot;
      Object.assign(mine, state);
      if (slot.slot !== 0) face.module(slot.slot);
      for (const ch of fresh) {
        const key = `${slot.slot}:${ch.index}`;
        Object.assign(channels.get(key), ch);
        faceDirty.add(key);
        if (rows.has(key)) dirty.add(key);
      }
    }
    headDirty = true;
    schedule();
  } else {
    device = next;
    drawnLayout = layout;
    channels.clear();
    for (const slot of device.slots) for (const ch of slot.channels ?? []) channels.set(`${slot.slot}:${ch.index}`, Object.assign(ch, { slot: slot.slot }));
    faceDirty.clear();
    face = drawFaceplate($('rail'), device, { conn: () => live, onSelect: openChannel, onSelectModule: openModule });
    if (openKeys.length) openDetails(openKeys, $('details-h').textContent);
  }
  publishSnapshot(device);
}

/**
 * Reads the module faults again. Fault events can come faster than the answers (a script injects
 * many): one read at a time, and the events during it make one more read after it, not one each.
 */
let faultsRead = null;
let faultsStale = false;
function refreshModuleFaults() {
  if (faultsRead) {
    faultsStale = true;
    return faultsRead;
  }
  faultsRead = loadModuleFaults().finally(() => {
    faultsRead = null;
    if (faultsStale) {
      faultsStale = false;
      void refreshModuleFaults().catch(() => {});
    }
  });
  return faultsRead;
}

/** Module faults (module-failed, module-removed) as GET /sim/v1/faults lists them, onto the faceplate. */
async function loadModuleFaults() {
  if (!device) return;
  const faults = await api('GET', '/faults');
  if (!device) return;
  const bySlot = new Map();
  for (const f of faults) {
    const kind = f.spec?.kind;
    if (kind === 'module-removed') bySlot.set(f.spec.slot, 'removed');
    else if (kind === 'module-failed' && !bySlot.has(f.spec.slot)) bySlot.set(f.spec.slot, 'failed');
  }
  for (const slot of device.slots) {
    if (slot.slot === 0) continue;
    const fault = bySlot.get(slot.slot) ?? null;
    if (slot.fault === fault) continue;
    slot.fault = fault;
    face?.module(slot.slot);
  }
}

const PUT_CHANNEL = (ch) => `/slots/${ch.slot}/channels/${ch.index}`;

async function putField(ch, body) {
  apply(await api('PUT', PUT_CHANNEL(ch), body), ch.slot);
}

async function putAttr(ch, attr, value) {
  const res = await api('PUT', `${PUT_CHANNEL(ch)}/attributes/${attr}`, { value });
  if (res && typeof res === 'object' && 'index' in res) apply(res, ch.slot);
}

/** Merges a channel object from a response into the model. */
function apply(channel, slot) {
  const key = `${slot}:${channel.index}`;
  const ch = channels.get(key);
  if (!ch) return;
  Object.assign(ch, channel);
  faceDirty.add(key);
  if (rows.has(key)) dirty.add(key);
  schedule();
}

function lamp(label, onClick) {
  return el('button', { type: 'button', class: 'lamp', 'aria-pressed': 'false', 'aria-label': label, onclick: onClick });
}

function buildRow(slot, ch) {
  const key = `${slot.slot}:${ch.index}`;
  const id = `ch-${slot.slot}-${ch.index}`;
  const info = el('div', { class: 'info' });
  const ctl = el('div', { class: 'ctl' });
  const row = el('div', { class: 'ch', 'data-io': ch.ioName, 'data-type': ch.type }, el('span', { class: 'name', text: ch.name }), info);
  const mode = el('span', { class: 'mode' });
  const value = el('span', { class: 'val' });
  const extra = el('span', { class: 'extra' });
  const status = el('span', { class: 'status' });
  const sig = el('span', { class: 'sig' });
  const showSignal = () => setText(sig, ch.signal ? `signal: ${ch.signal.kind}` : '');
  let update = () => {};

  if (ch.type === 'di' || ch.type === 'do' || ch.type === 'relay') {
    const attr = LED_ATTR[ch.type];
    const button = lamp(`${ch.name} ${ch.type === 'di' ? 'level' : attr}`, () =>
      act(() => (ch.type === 'di' ? putField(ch, { level: ch[attr] ? 0 : 1 }) : putAttr(ch, attr, ch[attr] ? 0 : 1))));
    info.prepend(button);
    info.append(mode, extra);
    if (ch.type === 'di' && 'diCounterValue' in ch) {
      ctl.append(el('button', { type: 'button', text: 'Reset counter', 'aria-label': `${ch.name} reset counter`, onclick: () => act(() => putAttr(ch, 'diCounterValue', 0)) }));
    }
    if (ch.type === 'relay' && 'relayCurrentCountReset' in ch) {
      ctl.append(el('button', { type: 'button', text: 'Reset count', 'aria-label': `${ch.name} reset current count`, onclick: () => act(() => putAttr(ch, 'relayCurrentCountReset', 1)) }));
    }
    if (ch.type === 'di') {
      info.append(sig);
      ctl.append(signalForm(ch, id, (body) => putField(ch, body), () => ch.signal));
    }
    if (ctl.childElementCount > 0) row.append(ctl);
    update = () => {
      const on = Boolean(ch[attr]);
      setAttr(button, 'aria-pressed', String(on));
      setText(button, on ? 'ON' : 'OFF');
      setText(mode, ch.modeName || ch.type);
      if (ch.type === 'di') setText(extra, ch.modeName === 'counter' ? `count ${ch.diCounterValue}` : '');
      else if (ch.type === 'do') setText(extra, ch.modeName === 'pulse' ? `pulse ${ch.doPulseStatus ? 'running' : 'stopped'}, count ${ch.doPulseCount}` : '');
      else setText(extra, `count ${ch.relayCurrentCount} / total ${ch.relayTotalCount}`);
      showSignal();
    };
  } else {
    // An analog channel's attributes are named by its type: aiValueScaled, aoStatus, rtdResetMinValue.
    const prefix = ch.type;
    const minMax = el('span', { class: 'minmax' });
    info.append(value, mode, status, minMax);
    const inputKind = ch.type === 'ai' ? 'physical' : ch.type === 'rtd' || ch.type === 'tc' ? 'temperature' : null;
    let number = null;
    let slider = null;
    let burnout = null;
    let fault = null;
    if (inputKind) {
      const unit = ch.field?.unit ?? '';
      const numId = `${id}-${inputKind}`;
      number = el('input', { type: 'number', id: numId, step: 'any' });
      const commit = (v) => act(() => putField(ch, { [inputKind]: Number(v) }));
      number.addEventListener('change', () => number.value !== '' && commit(number.value));
      ctl.append(el('label', { for: numId, text: `${inputKind} (${unit})` }), number);
      if (ch.type === 'ai') {
        const [lo, hi] = unit === 'mA' ? [0, 24] : ch.modeName?.includes('+-') ? [-10, 10] : [0, 10];
        slider = el('input', { type: 'range', min: String(lo), max: String(hi), step: '0.01', 'aria-label': `${ch.name} physical (${unit}) slider` });
        slider.addEventListener('input', () => (number.value = slider.value));
        slider.addEventListener('change', () => commit(slider.value));
        ctl.append(slider);
      }
      const boId = `${id}-burnout`;
      burnout = el('input', { type: 'checkbox', id: boId });
      burnout.addEventListener('change', () => act(() => putField(ch, { burnout: burnout.checked })));
      ctl.append(el('span', {}, burnout, el('label', { for: boId, text: ' burnout' })));
      if (`${prefix}ResetMinValue` in ch) {
        ctl.append(
          el('button', { type: 'button', text: 'Reset min', 'aria-label': `${ch.name} reset min`, onclick: () => act(() => putAttr(ch, `${prefix}ResetMinValue`, 1)) }),
          el('button', { type: 'button', text: 'Reset max', 'aria-label': `${ch.name} reset max`, onclick: () => act(() => putAttr(ch, `${prefix}ResetMaxValue`, 1)) }),
        );
      }
      info.append(sig);
      ctl.append(signalForm(ch, id, (body) => putField(ch, body), () => ch.signal));
      row.append(ctl);
    } else if (ch.type === 'ao') {
      const faultId = `${id}-fault`;
      fault = el('input', { type: 'checkbox', id: faultId });
      fault.addEventListener('change', () => act(() => putField(ch, { fault: fault.checked })));
      ctl.append(el('span', {}, fault, el('label', { for: faultId, text: ' output fault' })));
      row.append(ctl);
    }
    update = () => {
      setText(value, `${fmt(ch[`${prefix}ValueScaled`])} ${unitOf(ch)}`.trim());
      setText(mode, ch.modeName || '');
      const code = ch[`${prefix}Status`] ?? 0;
      setText(status, statusText(ch));
      setClass(status, code ? 'status status-bad' : 'status');
      setText(minMax, `${prefix}ValueScaledMin` in ch ? `min ${fmt(ch[`${prefix}ValueScaledMin`])} · max ${fmt(ch[`${prefix}ValueScaledMax`])}` : '');
      const field = ch.field ?? {};
      const current = field[inputKind];
      const focused = document.activeElement;
      if (number && focused !== number && focused !== slider && typeof current === 'number') setValue(number, fmt(current, 4));
      if (slider && focused !== slider && typeof current === 'number') setValue(slider, String(current));
      if (burnout && focused !== burnout && burnout.checked !== Boolean(field.burnout)) burnout.checked = Boolean(field.burnout);
      if (fault && focused !== fault && fault.checked !== Boolean(field.fault)) fault.checked = Boolean(field.fault);
      showSignal();
    };
  }
  rows.set(key, update);
  update();
  return row;
}

// ---- live updates -------------------------------------------------------------------------

function onChange(change) {
  publishChange(change);
  if (change.type === 'ir') irChanged(change);
  else if (change.slot === 0 || change.index === undefined || change.index === null) {
    const head = device.slots.find((s) => s.slot === 0);
    if (head && change.attribute in head) head[change.attribute] = change.value;
    headDirty = true;
  } else {
    const key = `${change.slot}:${change.index}`;
    const ch = channels.get(key);
    if (ch) {
      ch[change.attribute] = change.value;
      if (FACE_ATTRIBUTES.has(change.attribute)) faceDirty.add(key);
      // A control row not open shows the model as it is when opened.
      if (rows.has(key)) dirty.add(key);
    }
  }
  logPending.push(change);
  // Trimmed in batches, not per change; bounded while no frame runs (a hidden tab).
  if (logPending.length >= 2 * LOG_MAX) logPending = logPending.slice(-LOG_MAX);
  schedule();
}

/** Adds this frame's changes on top and drops what falls off the end, leaving the other lines alone. */
function renderLog() {
  const log = $('live-log');
  const fresh = logPending.slice(-LOG_MAX).reverse().map((c) => el('li', { text: `#${c.seq} ${c.ioName} ${c.attribute} ${fmt(c.previous)} → ${fmt(c.value)} (${c.source})` }));
  logPending = [];
  prependCapped(log, fresh, LOG_MAX);
}

async function loadDevice() {
  setDevice(await api('GET', '/device'));
}

let source = null;

/**
 * Opens (or reopens) the event stream; every 'open' (the first and each reconnect after an
 * error) re-fetches the snapshot, so changes missed while disconnected are not lost. Resolves
 * after the first load.
 */
function connect() {
  return new Promise((resolve) => {
    source?.close();
    const s = new EventSource(`${API}/events`);
    source = s;
    s.addEventListener('change', (event) => {
      if (device) onChange(JSON.parse(event.data));
    });
    // A fault injected or cleared (by this page, a script or a scenario): the module cards follow
    // at once. (The Faults panel polls on its own: its hit counts change with no event.)
    // A failed read waits for the next event or reconnect, as the stream's own errors do.
    s.addEventListener('fault', () => void refreshModuleFaults().catch(() => {}));
    s.addEventListener('open', () => {
      setConn('live', true);
      void act(async () => {
        await loadDevice();
        await loadClock();
        await loadSerial(); // IR values missed while disconnected
        await refreshModuleFaults(); // faults injected or cleared while disconnected
      }).then(resolve);
    });
    s.addEventListener('error', () => {
      setConn('disconnected, reconnecting…', false);
      // The browser does not retry a stream that failed with an HTTP error (e.g. mid-restart).
      // An EventSource shows no status, so ask whoami why: a 401 there opens the login form at
      // once (api()), whatever panel is on screen, and a login reloads the page, so no retry
      // then; anything else (a restart under way) retries in a second.
      if (s.readyState === EventSource.CLOSED && source === s) {
        const retry = () => setTimeout(() => void connect(), 1000);
        api('GET', '/whoami').then(retry, (error) => (error.status === 401 ? undefined : retry()));
      }
    });
  });
}

/** After a config change restarted the emulator: new streams, fresh snapshot and panels. */
async function reloadAll() {
  connectMqttLog();
  await Promise.all([connect(), act(loadAcl), act(loadMap), act(loadBaseAddresses), act(loadAccounts), act(loadFaults), loadJournal(), act(loadRuns)]);
}

// ---- panels -------------------------------------------------------------------------------

async function loadClock() {
  const clock = await api('GET', '/clock');
  $('clock-kind').textContent = clock.kind;
  $('clock-mono').textContent = fmt(clock.monotonic, 0);
  $('advance-form').hidden = clock.kind !== 'manual';
}

$('advance-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(async () => {
    const res = await api('POST', '/clock/advance', { ms: Number($('advance-ms').value) });
    $('clock-mono').textContent = fmt(res.monotonic, 0);
  });
});

let acl = { enabled: false, entries: [] };

function aclRow(entry, i) {
  const cell = (name, input) => {
    const inputId = `acl-${i}-${name}`;
    input.id = inputId;
    return el('td', {}, el('label', { for: inputId, class: 'sr', text: `Entry ${i + 1} ${name}` }), input,
      el('p', { class: 'field-error', 'data-error-for': `entries.${i}.${name}`, id: `${inputId}-error`, hidden: true }));
  };
  const ip = el('input', { type: 'text', value: entry.ip, 'data-name': 'ip', inputmode: 'decimal' });
  const mask = el('input', { type: 'text', value: entry.netmask, 'data-name': 'netmask', inputmode: 'decimal' });
  const active = el('input', { type: 'checkbox', checked: Boolean(entry.active), 'data-name': 'active' });
  return el('tr', { 'data-row': String(i) }, cell('ip', ip), cell('netmask', mask), cell('active', active),
    el('td', {}, el('button', { type: 'button', text: 'Remove', 'aria-label': `Remove entry ${i + 1}`, onclick: () => {
      acl.entries = readAcl().entries.filter((_, j) => j !== i);
      renderAcl();
    } })));
}

function renderAcl() {
  $('acl-enabled').checked = Boolean(acl.enabled);
  $('acl-rows').replaceChildren(...acl.entries.map(aclRow));
}

function readAcl() {
  const entries = [...$('acl-rows').querySelectorAll('tr')].map((tr) => ({
    ip: tr.querySelector('[data-name="ip"]').value.trim(),
    netmask: tr.querySelector('[data-name="netmask"]').value.trim(),
    active: tr.querySelector('[data-name="active"]').checked,
  }));
  return { ...acl, enabled: $('acl-enabled').checked, entries };
}

$('acl-add').addEventListener('click', () => {
  acl.entries = [...readAcl().entries, { ip: '', netmask: '255.255.255.255', active: true }];
  renderAcl();
  $(`acl-${acl.entries.length - 1}-ip`).focus();
});

$('acl-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFieldErrors($('acl-form'));
  $('acl-saved').textContent = '';
  try {
    acl = await api('PUT', '/modbus/accessible-ips', readAcl());
    renderAcl();
    $('acl-saved').textContent = 'Saved.';
  } catch (e) {
    showFieldError($('acl-form'), e, $('acl-error-form'));
  }
});

async function loadAcl() {
  acl = await api('GET', '/modbus/accessible-ips');
  renderAcl();
}

async function loadMap() {
  const map = await api('GET', '/modbus/map');
  $('map-count').textContent = String(map.length);
  $('map-rows').replaceChildren(...map.map((r) => el('tr', {}, ...[r.slot, r.ioName, r.parameter, r.table, r.address, r.length, r.type].map((v) => el('td', { text: String(v) })))));
}

initNav();
initMqtt();
initSnmp();
initConfig(reloadAll);
initBaseAddresses(loadMap);
initSerialMonitor();
initFaults();
initJournal();
initScenarios();

// The first paint already has the device: the server inlined its snapshot in the page (src/http/static.ts),
// drawn here, before any fetch; the event stream then brings it live (and re-fetches it).
const inlined = $('device-snapshot');
if (inlined) {
  try {
    setDevice(JSON.parse(inlined.textContent));
    setConn('as loaded, going live…', false);
  } catch (e) {
    notify(`the page's device snapshot: ${e.message}`);
  }
}

async function main() {
  await Promise.all([connect(), act(loadAcl), act(loadMap), act(loadMqttStatus), act(loadSnmp), act(loadBaseAddresses), act(loadConfig), act(loadAccounts), act(loadFaults), loadJournal(), act(loadRuns)]);
  document.body.dataset.ready = 'true';
}

void main();
