// The signal generator form of an input channel's row: attach (PUT {"signal": {...}}) and
// detach (PUT {"signal": null}). Built when first opened, so the rail stays light.

import { act, el } from './util.js';

/** The main parameters of each kind, with starting values (the server fills the rest). */
const KINDS = {
  square: { low: 0, high: 1, periodMs: 1000, duty: 0.5 },
  sine: { offset: 12, amplitude: 4, periodMs: 10000 },
  ramp: { from: 4, to: 20, periodMs: 10000 },
  randomWalk: { start: 12, step: 0.1, min: 4, max: 20 },
};

/**
 * Returns the <details> element of a channel's signal form. `put(body)` sends the channel PUT;
 * `current()` gives the attached signal (or null) to prefill the form.
 */
export function signalForm(ch, id, put, current) {
  const details = el('details', { class: 'sig-form' }, el('summary', { text: 'Signal…', 'aria-label': `${ch.name} signal generator` }));
  let built = false;
  details.addEventListener('toggle', () => {
    if (!details.open || built) return;
    built = true;
    details.append(build(ch, id, put, current()));
  });
  return details;
}

function build(ch, id, put, attached) {
  const kindId = `${id}-sig-kind`;
  const kind = el('select', { id: kindId }, ...Object.keys(KINDS).map((k) => el('option', { value: k, text: k })));
  const params = el('div', { class: 'row' });
  const render = (values) => {
    params.replaceChildren(...Object.entries(values).map(([name, v]) => {
      const inputId = `${id}-sig-${name}`;
      return el('span', {}, el('label', { for: inputId, text: `${name} ` }), el('input', { id: inputId, type: 'number', step: 'any', value: String(v), 'data-param': name, required: true }));
    }));
  };
  if (attached && attached.kind in KINDS) {
    kind.value = attached.kind;
    render(Object.fromEntries(Object.keys(KINDS[attached.kind]).map((k) => [k, attached[k] ?? KINDS[attached.kind][k]])));
  } else render(KINDS.square);
  kind.addEventListener('change', () => render(KINDS[kind.value]));
  const form = el('form', { class: 'sig' },
    el('span', {}, el('label', { for: kindId, text: 'kind ' }), kind), params,
    el('div', { class: 'row' },
      el('button', { type: 'submit', text: 'Attach' }),
      el('button', { type: 'button', text: 'Detach', onclick: () => act(() => put({ signal: null })) })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const signal = { kind: kind.value };
    for (const input of params.querySelectorAll('input')) signal[input.dataset.param] = Number(input.value);
    void act(() => put({ signal }));
  });
  return form;
}
