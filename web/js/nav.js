// Navigation (#20 part 1): the first screen is the device (#device: the faceplate and the
// controls of the channel clicked); every panel of index.html (<section class="panel" id>) is a
// view of its own behind a tab. The location hash is the state: a link, `location.hash = id`,
// back and forward all go through hashchange, so a panel's address can be shared and
// test/helpers/browser.ts showPanel(page, id) opens it as a user would.
//
//   hash ─► the panel with that id ─► shown, the device view and the other panels hidden
//        └─ none, #device or an id that is no panel ─► the device view

import { $, el } from './util.js';

export const DEVICE_VIEW = 'device';

/** Builds the tabs from the panels in the page and shows the view the hash names. */
export function initNav() {
  const panels = [...document.querySelectorAll('.panels > section.panel[id]')];
  const tab = (id, text) => el('a', { href: `#${id}`, 'data-view': id, text });
  const tabs = [tab(DEVICE_VIEW, 'Device'), ...panels.map((p) => tab(p.id, p.querySelector('h2')?.textContent ?? p.id))];
  $('nav').replaceChildren(...tabs.map((a) => el('li', {}, a)));

  // A panel that hides itself (Field devices without a field device) hides its tab too.
  const mirror = (panel) => {
    const item = $('nav').querySelector(`[data-view="${CSS.escape(panel.id)}"]`)?.parentElement;
    if (item) item.hidden = panel.hidden;
  };
  const watch = new MutationObserver((records) => {
    for (const r of records) mirror(r.target);
  });
  for (const p of panels) {
    mirror(p);
    watch.observe(p, { attributes: true, attributeFilter: ['hidden'] });
  }

  const show = () => {
    let id = '';
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch {
      // a malformed escape names no panel
    }
    const current = panels.find((p) => p.id === id);
    $(DEVICE_VIEW).hidden = Boolean(current);
    for (const p of panels) p.classList.toggle('current', p === current);
    const view = current?.id ?? DEVICE_VIEW;
    for (const a of tabs) {
      if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = current ? `${current.querySelector('h2')?.textContent ?? id} · iothinx-sim` : 'iothinx-sim';
  };
  addEventListener('hashchange', show);
  show();
}
