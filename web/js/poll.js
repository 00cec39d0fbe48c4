// Polls a panel's data every `ms` while the panel is on screen and the tab visible; a tick is
// skipped while the previous one is still in flight, and a failure (e.g. the emulator restarting
// after a config change) is ignored: the next tick retries.

export function whileVisible(panel, ms, fn) {
  let onScreen = false;
  let busy = false;
  new IntersectionObserver((entries) => {
    for (const e of entries) onScreen = e.isIntersecting;
  }).observe(panel);
  return setInterval(async () => {
    if (!onScreen || document.hidden || busy) return;
    busy = true;
    try {
      await fn();
    } catch {
      // retried on the next tick
    } finally {
      busy = false;
    }
  }, ms);
}

/** Device-clock ms since the epoch as hh:mm:ss.mmm (UTC, the device clock's zone). */
export function clockTime(at) {
  if (typeof at !== 'number') return '–';
  return new Date(at).toISOString().slice(11, 23);
}
