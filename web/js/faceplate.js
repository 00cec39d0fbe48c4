// The faceplate (#20 part 1): the rail drawn as the device looks, the head unit then each module
// as a narrow card with its model, a LED per DI/DO/relay channel, a bar and value per analog
// channel, and the module's fault. Cheap enough to draw whole in one go (a few hundred small
// nodes), so the first paint can show it from the snapshot inlined in the page; the channel
// controls (app.js buildRow) are built only for the channel a click opens.
//
//   drawFaceplate(rail, device) ─► cards ─► { channel(key), head(), module(slot) } redraw functions
//   app.js frame ─► the redraw functions of what changed (setText/setAttr skip equal values)
//   click on a channel ─► onSelect(key) ─► app.js opens its controls under the faceplate

import { el, fmt, setAttr, setClass, setText } from './util.js';

/** The on/off attribute of each digital channel type: the LED on the faceplate, the lamp in its controls. */
export const LED_ATTR = { di: 'diStatus', do: 'doStatus', relay: 'relayStatus' };
/** The analog channel types: each has `{type}ValueScaled`, `{type}ValueRaw` (not RTD/TC) and `{type}Status`. */
export const ANALOG_TYPES = ['ai', 'ao', 'rtd', 'tc'];
const ANALOG = new Set(ANALOG_TYPES);
/**
 * A channel status code in words: aiStatus 0 normal, 1 burnout, 2 over range, 3 under range;
 * rtdStatus and tcStatus 0 normal, 1 burnout; aoStatus 0 normal, 1 fault (M-EZ p=119).
 */
const STATUS_TEXT = { 1: 'burnout', 2: 'over range', 3: 'under range' };
const AO_STATUS_TEXT = { 1: 'output fault' };
const FAULT_TEXT = { failed: 'module failed', removed: 'module removed' };

/**
 * The span a bar shows for a temperature input, by its sensor type (°C): the usual measuring
 * ranges of those sensors (IEC 60751, IEC 60584). ASSUMPTION: the device's own console shows
 * values, not bars; a bar is this page's way to read a value at a glance. A mode without a
 * range here (a resistance or millivolt mode) shows its value and no bar.
 */
const SENSOR_RANGE = {
  PT50: [-200, 850], PT100: [-200, 850], PT200: [-200, 850], PT500: [-200, 850], PT1000: [-200, 350],
  JPT100: [-200, 640], JPT200: [-200, 640], JPT500: [-200, 640], JPT1000: [-200, 350],
  NI100: [-60, 180], NI200: [-60, 180], NI500: [-60, 180], NI1000: [-60, 180], NI120: [-80, 260],
  J: [-210, 1200], K: [-270, 1372], T: [-270, 400], E: [-270, 1000], R: [-50, 1768], S: [-50, 1768], B: [0, 1820], N: [-270, 1300],
};
const RAW_FULL = 65535;

/** The attributes the faceplate shows: a change of another (a min, a max, a counter) redraws nothing here. */
export const FACE_ATTRIBUTES = new Set([
  ...Object.values(LED_ATTR),
  ...ANALOG_TYPES.flatMap((p) => [`${p}ValueScaled`, `${p}ValueRaw`, `${p}Status`]),
]);

/** Seconds as the head card shows uptime: "3 d 04:05:06", or "04:05:06" under a day. */
export function uptimeText(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, '0');
  const hms = `${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  const days = Math.floor(s / 86400);
  return days ? `${days} d ${hms}` : hms;
}

/** The unit a channel's scaled value is in. */
export function unitOf(ch) {
  return (ch.type === 'ai' ? ch.field?.scaledUnit ?? ch.field?.unit : ch.field?.unit) ?? '';
}

/** An analog channel's status as the page shows it: '' while normal, a code it has no words for as "status N". */
export function statusText(ch) {
  const code = ch[`${ch.type}Status`] ?? 0;
  if (!code) return '';
  return (ch.type === 'ao' ? AO_STATUS_TEXT : STATUS_TEXT)[code] ?? `status ${code}`;
}

/** 0..1 along the channel's range, or null when it has none. */
function fraction(ch) {
  let f = null;
  if (ch.type === 'ai' || ch.type === 'ao') {
    const raw = ch[`${ch.type}ValueRaw`];
    if (typeof raw === 'number') f = raw / RAW_FULL;
  } else {
    const range = SENSOR_RANGE[ch.modeName];
    const v = ch[`${ch.type}ValueScaled`];
    if (range && typeof v === 'number') f = (v - range[0]) / (range[1] - range[0]);
  }
  return f === null || !Number.isFinite(f) ? null : Math.min(1, Math.max(0, f));
}

function ledChannel(ch, button) {
  const attr = LED_ATTR[ch.type];
  const led = el('span', { class: 'led', 'aria-hidden': 'true' });
  const state = el('span', { class: 'sr' });
  button.append(led, el('span', { class: 'lbl', text: ch.name }), state);
  return () => {
    const on = ch[attr] ? '1' : '0';
    setAttr(button, 'data-on', on);
    setText(state, on === '1' ? ' on' : ' off');
  };
}

function analogChannel(ch, button) {
  const p = ch.type;
  const fill = el('span', { class: 'fill' });
  const bar = el('span', { class: 'bar', 'aria-hidden': 'true' }, fill);
  const value = el('span', { class: 'val' });
  const status = el('span', { class: 'st' });
  button.append(el('span', { class: 'lbl', text: ch.name }), value, bar, status);
  let shownFraction = NaN;
  return () => {
    const v = ch[`${p}ValueScaled`];
    setText(value, `${fmt(v)} ${unitOf(ch)}`.trim());
    const f = fraction(ch);
    setAttr(bar, 'data-range', f === null ? 'none' : 'mode');
    // A transform neither lays out nor repaints the card: under a flood (#19) only the value's text does.
    if (f !== null && f !== shownFraction) {
      shownFraction = f;
      fill.style.transform = `scaleX(${f})`;
    }
    const code = ch[`${p}Status`] ?? 0;
    setText(status, statusText(ch));
    setAttr(button, 'data-status', String(code));
  };
}

function headUnit(card, device, conn) {
  const head = () => device.slots.find((s) => s.slot === 0) ?? {};
  const cells = new Map();
  const item = (label, cls = '') => {
    const dd = el('dd', { class: cls });
    cells.set(label, dd);
    return [el('dt', { text: label }), dd];
  };
  const led = (label) => el('span', { class: 'hled', 'data-led': label.toLowerCase() }, el('span', { class: 'led', 'aria-hidden': 'true' }), el('span', { text: label }));
  const leds = { pwr: led('PWR'), rdy: led('RDY'), wdt: led('WDT') };
  const title = el('h2', { class: 'model' });
  card.replaceChildren(
    el('header', { class: 'mod-head' }, title, el('span', { class: 'slot-no', text: 'head unit' })),
    el('div', { class: 'hleds', role: 'group', 'aria-label': 'Head unit LEDs' }, leds.pwr, leds.rdy, leds.wdt),
    el('dl', {}, ...['Name', 'IP', 'MAC', 'Serial', 'Firmware', 'Uptime', 'Watchdog'].flatMap((k) => item(k))),
  );
  return () => {
    const h = head();
    setText(title, device.model ?? 'ioThinx 4510');
    setText(cells.get('Name'), String(device.name ?? '–'));
    setText(cells.get('IP'), String(h.ip ?? '–'));
    setText(cells.get('MAC'), String(h.mac ?? '–'));
    setText(cells.get('Serial'), String(device.serialNumber ?? '–'));
    setText(cells.get('Firmware'), String(device.firmwareVersion ?? '–'));
    setText(cells.get('Uptime'), uptimeText(h.uptime));
    setText(cells.get('Watchdog'), h.watchdogAlarmFlag ? 'ALARM' : 'no alarm');
    setClass(cells.get('Watchdog'), h.watchdogAlarmFlag ? 'status-bad' : '');
    // PWR: the device answers; RDY: no system error (red with one); WDT: the Modbus watchdog alarm.
    const live = conn();
    setAttr(leds.pwr, 'data-state', 'on');
    setAttr(leds.rdy, 'data-state', h.systemError ? 'bad' : live ? 'on' : 'blink');
    setAttr(leds.rdy, 'title', h.systemError ? `system error ${h.systemError}` : live ? 'ready, live' : 'ready (as loaded, not live yet)');
    setAttr(leds.wdt, 'data-state', h.watchdogAlarmFlag ? 'bad' : 'off');
  };
}

/**
 * Draws the faceplate into `rail` (replacing what was there) from a snapshot whose channel
 * objects app.js keeps current. `conn()` says whether the event stream is live; `onSelect(key)`
 * runs when a channel ("slot:index") is clicked, `onSelectModule(slot)` when a module's title is.
 */
export function drawFaceplate(rail, device, { conn, onSelect, onSelectModule }) {
  const channels = new Map();
  const modules = new Map();
  const buttons = new Map();
  const headCard = el('article', { id: 'head', class: 'module head', 'data-slot': '0', 'aria-label': 'Head unit' });
  const head = headUnit(headCard, device, conn);
  const cards = [headCard];
  for (const slot of device.slots) {
    if (slot.slot === 0) continue;
    const kinds = new Set((slot.channels ?? []).map((c) => c.type));
    const analog = [...kinds].some((k) => ANALOG.has(k));
    const family = analog ? [...kinds].find((k) => ANALOG.has(k)) : [...kinds][0] ?? 'none';
    const fault = el('p', { class: 'mod-fault', role: 'status' });
    const list = el('ol', { class: 'chs' });
    const card = el('article', { class: `module ${analog ? 'analog' : 'digital'}`, 'data-slot': String(slot.slot), 'data-family': family, 'aria-label': `Slot ${slot.slot} ${slot.module}` },
      el('header', { class: 'mod-head' },
        el('h2', { class: 'model' }, el('button', { type: 'button', class: 'mod-btn', text: slot.module, title: `${slot.name}: show every channel's controls`, onclick: () => onSelectModule(slot.slot) })),
        el('span', { class: 'mod-led', 'aria-hidden': 'true' }),
        el('span', { class: 'slot-no', text: `slot ${slot.slot}` })),
      fault, list);
    for (const ch of slot.channels ?? []) {
      const key = `${slot.slot}:${ch.index}`;
      const button = el('button', { type: 'button', class: `chan ${ANALOG.has(ch.type) ? 'analog' : 'digital'}`, 'data-io': ch.ioName, 'data-type': ch.type, title: `${ch.ioName} (${ch.modeName || ch.type})`, 'aria-expanded': 'false', 'aria-controls': 'details', onclick: () => onSelect(key) });
      channels.set(key, ANALOG.has(ch.type) ? analogChannel(ch, button) : LED_ATTR[ch.type] ? ledChannel(ch, button) : () => {});
      buttons.set(key, button);
      list.append(el('li', {}, button));
    }
    modules.set(slot.slot, () => {
      setAttr(card, 'data-fault', slot.fault ?? '');
      setText(fault, slot.fault ? FAULT_TEXT[slot.fault] ?? `fault: ${slot.fault}` : '');
    });
    cards.push(card);
  }
  rail.replaceChildren(...cards);
  head();
  for (const redraw of modules.values()) redraw();
  for (const redraw of channels.values()) redraw();
  let selected = new Set();
  return {
    channel: (key) => channels.get(key)?.(),
    head,
    module: (slot) => modules.get(slot)?.(),
    /** Marks the channels whose controls are open. */
    select(keys) {
      for (const key of selected) buttons.get(key)?.setAttribute('aria-expanded', 'false');
      selected = new Set(keys);
      for (const key of selected) buttons.get(key)?.setAttribute('aria-expanded', 'true');
    },
  };
}
