/**
 * SimClient.waitFor: waits on the event stream, not on the wall clock.
 *
 *   GET channel (ioName) ─► open /events?ioName= ─► GET channel (value now) ─► match? done
 *                                   └─► each `change` of that attribute ─► match? done
 *
 * The stream is open before the second read, so no change falls between the two. A stream that
 * ends (the emulator restarting to apply a config) is opened again until the deadline.
 */
import type { ChannelSnapshot, DeviceChange } from '../device/device.js';
import type { Api } from './api.js';
import { SimClientError } from './errors.js';

class Deadline extends Error {}

/** Yields the `data:` of each `change` event, until the stream ends or the signal aborts. */
async function* changes(body: ReadableStream<Uint8Array>): AsyncGenerator<DeviceChange> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data && /^event: change$/m.test(block)) yield JSON.parse(data) as DeviceChange;
    }
  }
}

export async function waitForChange(
  api: Api,
  path: string,
  ref: string,
  attribute: string,
  predicate: (value: number) => boolean,
  wanted: string,
  timeoutMs: number,
): Promise<number> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Deadline());
  }, timeoutMs);
  let last: unknown = undefined;
  const current = async (): Promise<unknown> => {
    const channel = await api.request<ChannelSnapshot>('get', path);
    if (!(attribute in channel)) {
      const names = Object.keys(channel).filter((k) => !['index', 'type', 'name', 'ioName', 'mode', 'modeName', 'field', 'signal'].includes(k));
      throw new SimClientError(`${ref} (${channel.ioName}) has no attribute ${attribute}; it has ${names.join(', ')}`, {
        status: null,
        code: 'DEVICE_UNKNOWN_ATTRIBUTE',
        path: 'attribute',
        request: `GET /sim/v1${path}`,
      });
    }
    return channel[attribute];
  };
  try {
    const { ioName } = await api.request<ChannelSnapshot>('get', path);
    while (!timedOut) {
      const res = await api.events([ioName], controller.signal);
      last = await current();
      if (predicate(last as number)) return last as number;
      for await (const change of changes(res.body!)) {
        if (change.attribute !== attribute) continue;
        last = change.value;
        if (predicate(change.value)) return change.value;
      }
    }
  } catch (error) {
    if (!timedOut) {
      if (error instanceof SimClientError) throw error;
      // The stream broke under us: the emulator stopped or went away.
      throw new SimClientError(`${ref} ${attribute}: the event stream failed (${(error as Error).message})`, { status: null, code: 'CLIENT_UNREACHABLE', path: null, request: 'GET /sim/v1/events', cause: error });
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  const seen = last === undefined ? 'no value read' : `still ${JSON.stringify(last)}`;
  throw new SimClientError(`${ref} ${attribute}: ${seen} after ${timeoutMs} ms, waiting for ${wanted}`, {
    status: null,
    code: 'CLIENT_TIMEOUT',
    path: null,
    request: null,
  });
}
