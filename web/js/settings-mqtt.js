// Configure: the MQTT publish-topic rules (mqtt.topics), one row per rule of the profile, in
// order (a later rule wins; docs/mqtt.md). A rule picks topics by ioName and parameter (globs)
// and class, and sets what it gives: enabled, QoS, retain, trigger, interval, deadband; a blank
// setting leaves it to the defaults and earlier rules. Rules left as they were are written back
// as they were; the list is written only when a rule changed, was added or was removed. Errors
// of a rule's field (mqtt.topics.N.key) show next to it, those of the rule as a whole
// (mqtt.topics.N: matches no topic of this device) in its row.

import { $, el } from './util.js';
import { num } from './config.js';
import { choicesAt, rangeText } from './profile-schema.js';

const SETTINGS = ['enabled', 'qos', 'retain', 'trigger', 'intervalMs', 'deadband'];
const KEYS = ['ioName', 'parameter', 'class', ...SETTINGS];
const COLUMN_LABELS = { ioName: 'ioName', parameter: 'Parameter', class: 'Class', enabled: 'Enabled', qos: 'QoS', retain: 'Retain', trigger: 'Trigger', intervalMs: 'Interval (ms)', deadband: 'Deadband' };
const NUMBERS = new Set(['intervalMs', 'deadband']);
const BOOLS = new Set(['enabled', 'retain']);

/** The rules section; `labels` names the trigger and QoS choices as the defaults do. */
export function topicRules(triggerLabels, qosLabels) {
  let original = [];
  /** Each row: the rule it shows and the index of the profile's rule it came from (null: added). */
  let rows = [];

  /** A cell's choices: blank (not set by this rule) and the schema's values. */
  function choices(key) {
    const blank = key === 'class' ? 'any' : '—';
    if (BOOLS.has(key)) return [['', blank], ['true', key === 'enabled' ? 'on' : 'yes'], ['false', key === 'enabled' ? 'off' : 'no']];
    const labels = key === 'trigger' ? triggerLabels : key === 'qos' ? qosLabels : {};
    return [['', blank], ...choicesAt(`mqtt.topics.0.${key}`).map((v) => [String(v), labels[v] ?? String(v)])];
  }

  function cell(i, key, rule) {
    const id = `cfg-mqtt-topics-${i}-${key}`;
    const value = rule[key] === undefined ? '' : String(rule[key]);
    const attrs = { id, 'data-tkey': key, 'data-initial': value, 'aria-label': `Rule ${i + 1} ${COLUMN_LABELS[key]}` };
    const input = key === 'ioName' || key === 'parameter' || NUMBERS.has(key)
      ? el('input', { ...attrs, type: NUMBERS.has(key) ? 'number' : 'text', value, ...(NUMBERS.has(key) ? { step: 'any', placeholder: '—' } : {}) })
      : el('select', attrs, ...choices(key).map(([v, text]) => el('option', { value: v, text, selected: v === value })));
    return el('td', {}, input, el('p', { class: 'field-error', 'data-error-for': `mqtt.topics.${i}.${key}`, id: `${id}-error`, hidden: true }));
  }

  function row({ rule }, i) {
    return el('tr', { 'data-rule': String(i) },
      el('th', { scope: 'row', text: String(i + 1) }),
      ...KEYS.map((key) => cell(i, key, rule)),
      el('td', {},
        el('button', { type: 'button', text: 'Remove', 'aria-label': `Remove rule ${i + 1}`, onclick: () => {
          rows = readRows().filter((_, j) => j !== i);
          renderRows();
        } }),
        el('p', { class: 'field-error', 'data-error-for': `mqtt.topics.${i}`, id: `cfg-mqtt-topics-${i}-error`, hidden: true })));
  }

  function renderRows() {
    $('cfg-mqtt-rules').replaceChildren(...rows.map(row));
    $('cfg-mqtt-rule-count').textContent = `${rows.length} rule${rows.length === 1 ? '' : 's'}`;
  }

  /** A rule from its row's fields: selector always, settings only where given. */
  function ruleOf(i) {
    const rule = {};
    for (const key of KEYS) {
      const raw = $(`cfg-mqtt-topics-${i}-${key}`).value;
      if (key === 'ioName' || key === 'parameter') rule[key] = raw.trim();
      else if (raw.trim() === '') continue;
      else if (BOOLS.has(key)) rule[key] = raw === 'true';
      else if (key === 'qos' || NUMBERS.has(key)) rule[key] = num(raw);
      else rule[key] = raw;
    }
    return rule;
  }

  /** The rows with the form's values; a row nobody touched keeps its rule exactly. */
  function readRows() {
    return rows.map((r, i) => {
      const touched = KEYS.some((key) => {
        const input = $(`cfg-mqtt-topics-${i}-${key}`);
        return input.value !== input.dataset.initial;
      });
      return touched ? { rule: ruleOf(i), from: null } : r;
    });
  }

  function render(config) {
    original = config.mqtt?.topics ?? [];
    rows = original.map((rule, from) => ({ rule, from }));
    const head = el('tr', {}, el('th', { scope: 'col', text: '#' }),
      ...KEYS.map((key) => {
        const range = NUMBERS.has(key) ? rangeText(`mqtt.topics.0.${key}`) : '';
        return el('th', { scope: 'col', text: COLUMN_LABELS[key], title: range ? `${COLUMN_LABELS[key]}: ${range}` : '' });
      }),
      el('th', { scope: 'col', text: '' }));
    const add = el('button', { type: 'button', id: 'cfg-mqtt-rule-add', text: 'Add topic rule', onclick: () => {
      rows = readRows();
      rows.push({ rule: { ioName: '*', parameter: '*' }, from: null });
      renderRows();
      $(`cfg-mqtt-topics-${rows.length - 1}-ioName`).focus();
    } });
    queueMicrotask(renderRows);
    return [
      el('h3', { text: 'MQTT publish-topic rules' }),
      el('p', { class: 'hint', text: 'Every topic is off until a rule enables it, as on the device. A rule picks topics by ioName and parameter (* and ? globs) and class; a later rule wins. "—": not set by this rule (the defaults above or an earlier rule apply). The topics published now, with their settings: GET /sim/v1/mqtt/topics.' }),
      el('div', { class: 'cfg-rules-wrap' },
        el('table', { class: 'cfg-rules' }, el('thead', {}, head), el('tbody', { id: 'cfg-mqtt-rules' }))),
      el('p', { class: 'field-error', 'data-error-for': 'mqtt.topics', id: 'cfg-mqtt-topics-error', hidden: true }),
      el('div', { class: 'row' }, add, el('output', { id: 'cfg-mqtt-rule-count' })),
    ];
  }

  function read(doc) {
    const now = readRows();
    const unchanged = now.length === original.length && now.every((r, i) => r.from === i);
    if (unchanged) return;
    doc.mqtt ??= {};
    doc.mqtt.topics = now.map((r) => (r.from === null ? r.rule : original[r.from]));
  }

  return { render, read };
}
