/**
 * Issue #14, the HTTP listener's bounds: bad input answered 4xx (point 15), the body limit,
 * connection caps and timeouts (point 10), and slow event-stream subscribers (point 7). Real
 * sockets on 127.0.0.1 (and 127.0.0.2 for a second host), port 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { profileSchema } from '../../src/config/profile.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';

const apps: SimApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(limits: object = {}): Promise<SimApp> {
  const sim = await startSimApp(profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-2600' }], limits: { http: limits } }));
  apps.push(sim);
  return sim;
}

const DAC = { accept: 'vdn.dac.v2', 'content-type': 'application/json' };
const DO = '/api/io/do/45MR-2600-0@DO-00/doStatus';

async function send(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('#14.15: malformed input is a 4xx naming the problem, not a 500', () => {
  it('#14.15: a path parameter with bad percent-encoding is 400', async () => {
    const sim = await start();
    const reply = await send(`${sim.base}/slots/%zz/channels/0`);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST' });
    expect(reply.body.message).toMatch(/percent-encoding/);
  });

  for (const encoding of ['gzip', 'deflate', 'br']) {
    it(`#14.15: a /sim/v1 body labelled Content-Encoding: ${encoding} that is not is 400, and changes nothing`, async () => {
      const sim = await start();
      const reply = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: '{"level":1}' });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST', path: null });
      expect(reply.body.message).toContain(`not valid ${encoding}`);
      expect(sim.device.channel(1, 0).read('diStatus')).toBe(0);
    });

    it(`#14.15: an /api body labelled Content-Encoding: ${encoding} that is not is 400 InvalidJsonFormat`, async () => {
      const sim = await start();
      const root = sim.base.replace('/sim/v1', '');
      const reply = await send(root + DO, { method: 'PUT', headers: { ...DAC, 'content-encoding': encoding }, body: '{"value":1}' });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: { code: 201, message: 'InvalidJsonFormat' } });
      expect(JSON.stringify(reply.body)).toContain(`not valid ${encoding}`);
      expect(sim.device.channel(2, 0).read('doStatus')).toBe(0);
    });
  }

  it('#14.15: a really compressed body is still accepted; an unknown encoding is 415', async () => {
    const sim = await start();
    const ok = await fetch(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"level":1}') });
    expect(ok.status).toBe(200);
    expect(sim.device.channel(1, 0).read('diStatus')).toBe(1);
    const unknown = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'x-nonsense' }, body: '{"level":0}' });
    expect(unknown.status).toBe(415);
    expect(unknown.body).toMatchObject({ code: 'HTTP_UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('body limit (limits.http.maxBodyBytes)', () => {
  it('refuses a larger body with 413 on /sim/v1 and /api, naming the limit, and counts it', async () => {
    const sim = await start({ maxBodyBytes: 2048 });
    const big = JSON.stringify({ level: 1, pad: 'x'.repeat(4096) });
    const simReply = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: big });
    expect(simReply.status).toBe(413);
    expect(simReply.body.message).toContain('2 KiB');
    const root = sim.base.replace('/sim/v1', '');
    const apiReply = await send(root + DO, { method: 'PUT', headers: DAC, body: JSON.stringify({ value: 1, pad: 'x'.repeat(4096) }) });
    expect(apiReply.status).toBe(413);
    expect(sim.device.refusals.get('http_body_size')).toBe(2);
    expect(sim.device.channel(2, 0).read('doStatus')).toBe(0);
  });
});
