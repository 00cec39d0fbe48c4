/**
 * Who is acting on the device right now: the protocol and the peer address of the request being
 * served. Adapters run each request inside `actors.run(...)`; the device stamps every write and
 * change with it, so the journal can say "127.0.0.2:50312 wrote DO-03 over Modbus". An
 * AsyncLocalStorage, because a request's work may continue after an await (the REST routes).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Actor {
  /** `host:port` of the client (or the broker, for MQTT writes); null for the emulator itself. */
  peer: string | null;
}

export const actors = new AsyncLocalStorage<Actor>();

export function currentPeer(): string | null {
  return actors.getStore()?.peer ?? null;
}
