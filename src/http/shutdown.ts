/**
 * Close hooks of an app: things that hold a response open (SSE streams) register here so that
 * listenHttp's close() can end them before waiting for the server to drain.
 */
type Hook = () => void;

const hooks = new WeakMap<object, Hook[]>();

export function onClose(app: object, hook: Hook): void {
  const list = hooks.get(app) ?? [];
  list.push(hook);
  hooks.set(app, list);
}

export function runCloseHooks(app: object): void {
  for (const hook of hooks.get(app) ?? []) hook();
}
