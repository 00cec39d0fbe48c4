// The subscriber of the MQTT benches (bench/mqtt.mjs, bench/mqtt-mosquitto.mjs): one mqtt.js
// client whose next message on a topic can be awaited (a latency sample), and which counts every
// message (throughput).
import { once } from 'node:events';

const TIMEOUT_MS = 5000;

/**
 * Connects to `url` with mqtt.js options `options` and subscribes to `topics` at QoS 1.
 * `noDelay` turns Nagle off on its socket. `next(topic)` resolves with `{at, payload}` (the
 * performance.now() of the message's arrival and its text) for the next message on `topic`, or
 * rejects after TIMEOUT_MS; `count` is every message so far.
 */
export async function subscriber(mqtt, url, topics, { options = {}, noDelay = false } = {}) {
  const client = mqtt.connect(url, { reconnectPeriod: 0, clientId: `bench-sub-${process.pid}`, ...options });
  await once(client, 'connect');
  if (noDelay) client.stream.setNoDelay(true);
  await client.subscribeAsync(topics, { qos: 1 });
  let waiter = null;
  let count = 0;
  client.on('message', (topic, payload) => {
    count += 1;
    if (waiter && waiter.topic === topic) {
      const at = performance.now();
      const w = waiter;
      waiter = null;
      clearTimeout(w.timer);
      w.resolve({ at, payload: payload.toString() });
    }
  });
  return {
    client,
    get count() {
      return count;
    },
    next(topic) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        waiter = { topic, resolve, timer };
      });
    },
  };
}
