/**
 * Write topics (M-EZ p=120): `{deviceName}/write/{ioName}/{parameter}` with `{"value": n}`.
 * A message is applied through the channel's one write path (access, range and mode checked,
 * source 'mqtt'); anything else is refused, counted and logged (at most one line per
 * LOG_WINDOW_MS of device time, with the number left unlogged), and changes nothing.
 *
 * Retained write messages delivered on (re)subscription are applied like live ones, as any
 * MQTT client would (ASSUMPTION: the device's behaviour is unknown).
 */
import type { Logger } from 'pino';
import { actors } from '../device/actor.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { isSimError, SimError } from '../errors.js';
import { parseWriteTopic, writeAttribute } from './topics.js';

const LOG_WINDOW_MS = 10_000;
/** A write payload is a small JSON object; anything larger is refused unread. */
const MAX_PAYLOAD = 1024;

export interface WriteResult {
  topic: string;
  accepted: boolean;
  /** Why it was refused (MQTT_BAD_WRITE or the device's DEVICE_* error). */
  error?: SimError;
}

export class WriteHandler {
  received = 0;
  rejected = 0;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The broker's address as the client sees it, or null before a connection. */
    private readonly brokerAddress: () => string | null = () => null,
  ) {}

  handle(topic: string, payload: Buffer): WriteResult {
    this.received += 1;
    // The write arrives through the broker: the journal names the broker as the peer.
    const peer = this.brokerAddress();
    try {
      actors.run({ peer }, () => this.apply(topic, payload));
      this.device.journal.record({ kind: 'request', source: 'mqtt', peer, action: `publish ${topic}`, result: 'ok' });
      return { topic, accepted: true };
    } catch (caught) {
      this.rejected += 1;
      const error = isSimError(caught) ? caught : new SimError('MQTT_BAD_WRITE', `${topic}: ${String(caught)}`, { cause: caught });
      this.device.journal.record({ kind: 'request', source: 'mqtt', peer, action: `publish ${topic}`, result: error.code });
      this.logRejection(topic, error);
      return { topic, accepted: false, error };
    }
  }

  private apply(topic: string, payload: Buffer): void {
    const target = parseWriteTopic(this.device.identity.name, topic);
    if (!target) throw bad(topic, 'not a write topic of this device');
    const channel = this.device.findIoName(target.ioName);
    if (!channel) throw bad(topic, `no channel or internal register is called ${target.ioName}`);
    const attribute = writeAttribute(channel, target.parameter);
    if (!channel.hasAttribute(attribute)) throw bad(topic, `${target.ioName} has no parameter ${target.parameter}`);
    if (payload.length > MAX_PAYLOAD) throw bad(topic, `payload of ${payload.length} bytes; at most ${MAX_PAYLOAD}`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      throw bad(topic, 'payload is not JSON; send {"value": n}');
    }
    const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { value?: unknown }).value : undefined;
    if (typeof value !== 'number') throw bad(topic, 'payload has no numeric "value"; send {"value": n}');
    channel.write(attribute, value, 'mqtt');
  }

  private logRejection(topic: string, error: SimError): void {
    const now = this.clock.monotonic();
    if (now - this.lastLogAt < LOG_WINDOW_MS) {
      this.unlogged += 1;
      return;
    }
    this.lastLogAt = now;
    this.logger.warn({ topic, code: error.code, unlogged: this.unlogged, rejected: this.rejected }, `MQTT write refused: ${error.message}`);
    this.unlogged = 0;
  }
}

function bad(topic: string, why: string): SimError {
  return new SimError('MQTT_BAD_WRITE', `${topic}: ${why}`, { context: { topic } });
}
