/**
 * `field-device --control HOST:PORT`: a small HTTP API to drive a standalone field device while it
 * runs, with the same bodies as the emulator's /sim/v1/serial/field-devices routes:
 *
 *   GET  /                      {definition, slaveId, fault, counters, points}
 *   PUT  /fault                 a fault ({"kind":"no-answer"} ...); 400 naming the field
 *   DELETE /fault               behaves again
 *   PUT  /points/{name}         {"value": n}
 *
 * node:http, not express: four routes, and the command should start in a blink.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { fieldDeviceFaultSchema } from '../config/sections.js';
import { isSimError } from '../errors.js';
import { formatAddress } from '../net-address.js';
import type { RtuSlave } from '../serial/rtu-slave.js';
import type { FieldDevice } from '../sim/field-device.js';

const valueBody = z.strictObject({ value: z.number() });

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new Error('body larger than 64 kB');
  }
  return text === '' ? undefined : JSON.parse(text);
}

export async function listenControl(host: string, port: number, device: FieldDevice, slave: RtuSlave): Promise<{ server: Server; address: string }> {
  const view = () => ({ definition: device.definition.name, slaveId: slave.slaveId, fault: slave.fault, counters: slave.counters, points: device.points() });
  const server = createServer((req, res) => {
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const refuse = (status: number, message: string, path: string | null = null) => send(status, { statusCode: status, message, path });
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/') return send(200, view());
      if (url.pathname === '/fault' && req.method === 'DELETE') {
        slave.setFault({ kind: 'none', count: null });
        return send(200, view());
      }
      if (url.pathname === '/fault' && req.method === 'PUT') {
        const parsed = fieldDeviceFaultSchema.safeParse(await body(req));
        if (!parsed.success) return refuse(400, parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), parsed.error.issues[0]?.path.join('.') ?? null);
        slave.setFault(parsed.data);
        return send(200, view());
      }
      const point = /^\/points\/([^/]+)$/.exec(url.pathname);
      if (point && req.method === 'PUT') {
        const parsed = valueBody.safeParse(await body(req));
        if (!parsed.success) return refuse(400, parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), 'value');
        device.set(decodeURIComponent(point[1]!), parsed.data.value);
        return send(200, view());
      }
      return refuse(404, `no route ${req.method} ${url.pathname}; see GET /, PUT/DELETE /fault, PUT /points/{name}`);
    })().catch((error: unknown) => {
      if (isSimError(error)) refuse(error.code === 'DEVICE_UNKNOWN_ATTRIBUTE' ? 404 : 400, error.message, 'value');
      else refuse(400, error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, address: formatAddress(server.address() as AddressInfo) };
}
