// The page's one event stream, shared: app.js owns the EventSource and the snapshot, and tells
// the modules that follow values over time (trends, the faceplate) through here, so that no
// panel opens a second stream of its own (#19: 1,000 changes a second).
//
//   /sim/v1/events ─► app.js ─► publishSnapshot(device) on every (re)load, publishChange(change) per change ─► subscribers

const snapshotListeners = new Set();
const changeListeners = new Set();

/** `fn(device)`: the GET /sim/v1/device snapshot, on the first load and after each reconnect. */
export function onSnapshot(fn) {
  snapshotListeners.add(fn);
  return () => snapshotListeners.delete(fn);
}

/** `fn(change)`: one /sim/v1/events change ({seq, slot, index, ioName, attribute, value, previous, source, ...}), as it arrives. */
export function onDeviceChange(fn) {
  changeListeners.add(fn);
  return () => changeListeners.delete(fn);
}

export function publishSnapshot(device) {
  for (const fn of snapshotListeners) fn(device);
}

export function publishChange(change) {
  for (const fn of changeListeners) fn(change);
}
