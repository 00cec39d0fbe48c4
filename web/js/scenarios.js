// The Scenarios panel: run a scenario document pasted as JSON (POST /sim/v1/scenarios), list the
// runs with their status, and follow the selected run's steps live over its SSE stream.
//
//   Run ─► POST ─► 202 {id} ─► select it ─► GET /scenarios/{id} (every step, pending)
//                                        └► EventSource /scenarios/{id}/events: step ─► that row
//                                                                                end ─► final run, close
//   every 2 s while the panel is on screen ─► GET /sim/v1/scenarios ─► runs list

import { $, API, api, clearFieldErrors, el, showFieldError } from './util.js';
import { whileVisible } from './poll.js';

const POLL_MS = 2000;

/** Self-contained against the default profile (profiles/default.yaml). */
export const EXAMPLE = {
  name: 'ui-example',
  description: 'DI-00 level and a slow Modbus/TCP on the default rail',
  steps: [
    { set: { target: '1/0', level: 1 } },
    { assert: { target: '1/0', attribute: 'diStatus', equals: 1 } },
    { fault: { kind: 'modbus-slow', delayMs: 200, as: 'slow' } },
    { clearFault: 'slow' },
  ],
};

const MARK = { passed: '✓', failed: '✗', skipped: '–', running: '…', pending: '·' };
const BADGE = { passed: 'ok', failed: 'error', aborted: 'error', running: 'idle', queued: 'idle' };

/** A document as JSON, one step a line. */
function pretty(doc) {
  const { steps, ...head } = doc;
  const top = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const lines = steps.map((step, i) => `    ${JSON.stringify(step)}${i < steps.length - 1 ? ',' : ''}`);
  return ['{', ...top, '  "steps": [', ...lines, '  ]', '}'].join('\n');
}

const badge = (status) => el('span', { class: `badge badge-${BADGE[status] ?? 'idle'}`, text: status });

let runs = [];
let selected = null; // the run shown, kept up to date by its stream
let stream = null;
let shownRuns = '';

function renderRuns() {
  const key = JSON.stringify(runs.map((r) => [r.id, r.status])) + (selected?.id ?? '');
  if (key === shownRuns) return;
  shownRuns = key;
  const focused = document.activeElement?.closest?.('#sc-runs li')?.dataset.run;
  $('sc-runs').replaceChildren(...runs.slice().reverse().map((r) => {
    const current = r.id === selected?.id;
    return el('li', { 'data-run': r.id, 'data-status': r.status, class: current ? 'current' : '' },
      el('button', { type: 'button', 'aria-pressed': String(current), 'aria-label': `Show run ${r.id} ${r.name}, ${r.status}`, onclick: () => void select(r.id) },
        el('span', { class: 'run-id', text: r.id }), ' ', el('span', { class: 'run-name', text: r.name }), ' ', badge(r.status)));
  }));
  $('sc-no-runs').hidden = runs.length > 0;
  if (focused) $('sc-runs').querySelector(`li[data-run="${CSS.escape(focused)}"] button`)?.focus();
}

function stepRow(s) {
  return el('li', { 'data-step': String(s.index), 'data-status': s.status, class: `step step-${s.status}` },
    el('span', { class: 'mark', 'aria-hidden': 'true', text: MARK[s.status] ?? '?' }),
    el('span', { class: 'sr', text: `${s.status}: ` }),
    el('span', { class: 'step-desc', text: `${s.index} ${s.description}` }),
    s.detail ? el('span', { class: 'step-detail', text: s.detail }) : null);
}

function renderSelected() {
  const box = $('sc-run');
  box.hidden = !selected;
  if (!selected) return;
  const done = selected.steps.filter((s) => s.status === 'passed').length;
  $('sc-run-title').replaceChildren(`${selected.id} · ${selected.name} `, badge(selected.status));
  $('sc-run-summary').textContent = `${done}/${selected.steps.length} steps passed`;
  $('sc-steps').replaceChildren(...selected.steps.map(stepRow));
  $('sc-abort').hidden = !['queued', 'running'].includes(selected.status);
}

function follow(id) {
  stream?.close();
  const s = new EventSource(`${API}/scenarios/${encodeURIComponent(id)}/events`);
  stream = s;
  s.addEventListener('step', (event) => {
    if (selected?.id !== id) return;
    const step = JSON.parse(event.data);
    selected.steps[step.index] = step;
    if (selected.status === 'queued') selected.status = 'running';
    renderSelected();
  });
  s.addEventListener('end', (event) => {
    s.close(); // the server ends the stream; do not let the browser reconnect
    if (stream === s) stream = null;
    if (selected?.id !== id) return;
    selected = JSON.parse(event.data);
    renderSelected();
    void loadRuns().catch(() => {});
  });
  s.addEventListener('error', () => {
    if (s.readyState === EventSource.CLOSED && stream === s) stream = null;
  });
}

async function select(id) {
  selected = await api('GET', `/scenarios/${encodeURIComponent(id)}`);
  renderSelected();
  renderRuns();
  if (['queued', 'running'].includes(selected.status)) follow(id);
  else {
    stream?.close();
    stream = null;
  }
}

export async function loadRuns() {
  runs = await api('GET', '/scenarios');
  // The selected run is gone (the emulator restarted): forget it.
  if (selected && !runs.some((r) => r.id === selected.id)) {
    selected = null;
    stream?.close();
    stream = null;
    renderSelected();
  }
  renderRuns();
}

export function initScenarios() {
  const form = $('sc-form');
  const doc = $('sc-doc');
  doc.value = pretty(EXAMPLE);
  $('sc-example').addEventListener('click', () => {
    doc.value = pretty(EXAMPLE);
    clearFieldErrors(form);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    $('sc-status').textContent = '';
    let body;
    try {
      body = JSON.parse(doc.value);
    } catch (e) {
      const error = new Error(`Not valid JSON: ${e.message} (YAML is not accepted; convert it to JSON)`);
      showFieldError(form, error, $('sc-doc-error'));
      return;
    }
    try {
      const run = await api('POST', '/scenarios', body);
      $('sc-status').textContent = `Started ${run.id}.`;
      selected = run;
      renderSelected();
      follow(run.id);
      await loadRuns();
    } catch (e) {
      showFieldError(form, e, $('sc-doc-error'));
    }
  });
  $('sc-abort').addEventListener('click', async () => {
    if (!selected) return;
    try {
      selected = await api('DELETE', `/scenarios/${encodeURIComponent(selected.id)}`);
      renderSelected();
      await loadRuns();
    } catch (e) {
      $('sc-status').textContent = e.message;
    }
  });
  whileVisible($('scenarios-panel'), POLL_MS, loadRuns);
}
