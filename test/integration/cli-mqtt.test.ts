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
});
