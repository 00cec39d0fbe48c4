import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, startCli } from '../helpers/process.js';

afterEach(cleanupProcesses);

describe('iothinx-sim start with the embedded broker', () => {
  it('reports both addresses in the ready file and publishes a field change', async () => {
    const started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
    expect(started.ready.broker).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(started.ready.mqtt).toBe(`mqtt://${started.ready.broker}`);
    const client = await connectAsync(started.ready.mqtt!);
    try {
      const topic = 'ioThinx_4510/read/45MR-1600-0@DI-03/diStatus';
      const high = new Promise<unknown>((resolve) =>
        client.on('message', (t, payload) => {
          const body = JSON.parse(payload.toString()) as { value: number };
          if (t === topic && body.value === 1) resolve(body);
        }),
      );
      await client.subscribeAsync(topic, { qos: 1 });
      const reply = await fetch(`http://${started.ready.http}/sim/v1/slots/1/channels/3`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ level: 1 }),
      });
      expect(reply.status).toBe(200);
      expect(await high).toMatchObject({ value: 1 });
      const status = (await (await fetch(`http://${started.ready.http}/sim/v1/mqtt`)).json()) as { enabled: boolean; connected: boolean };
      expect(status).toMatchObject({ enabled: true, connected: true });
    } finally {
      await client.endAsync();
    }
  });

  it('logs published and received messages: GET /sim/v1/mqtt/log and the SSE stream', async () => {
    const started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
    const base = `http://${started.ready.http}/sim/v1`;
    const abort = new AbortController();
    const stream = await fetch(`${base}/mqtt/log/stream`, { signal: abort.signal });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    const seen = (async () => {
      while (!text.includes('"direction":"in"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    const client = await connectAsync(started.ready.mqtt!);
    try {
      const put = await fetch(`${base}/slots/1/channels/4`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 1 }) });
      expect(put.status).toBe(200);
      await client.publishAsync('ioThinx_4510/write/45MR-2600-0@DO-01/doStatus', JSON.stringify({ value: 1 }), { qos: 1 });
      await seen;
      expect(text).toContain('event: mqtt');
      expect(text).toContain('"topic":"ioThinx_4510/read/45MR-1600-0@DI-04/diStatus"');
      const log = (await (await fetch(`${base}/mqtt/log`)).json()) as { direction: string; topic: string; payload: string; qos: number; retain: boolean; at: number }[];
      expect(log.length).toBeLessThanOrEqual(200);
      const out = log.find((m) => m.direction === 'out' && m.topic.endsWith('@DI-04/diStatus') && JSON.parse(m.payload).value === 1);
      expect(out).toMatchObject({ qos: expect.any(Number), retain: expect.any(Boolean), at: expect.any(Number) });
      expect(log.find((m) => m.direction === 'in')).toMatchObject({ topic: 'ioThinx_4510/write/45MR-2600-0@DO-01/doStatus', payload: '{"value":1}', qos: 1 });
    } finally {
      abort.abort();
      await client.endAsync();
    }
  });
});
