import { once } from 'node:events';
import { connect, createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readShared } from '../../src/modbus/shared-read.js';
import { until } from '../helpers/until.js';

const servers: Server[] = [];
const clients: Socket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A server whose accepted sockets read through readShared; what each received, as text, by accept order. */
async function listen(): Promise<{ port: number; received: string[]; served: Socket[]; closed: number[] }> {
  const received: string[] = [];
  const served: Socket[] = [];
  const closed: number[] = [];
  const server = createServer((accepted) => {
    const index = served.length;
    received.push('');
    const socket = readShared(accepted, (chunk) => {
      received[index] += chunk.toString('latin1');
    });
    served.push(socket);
    socket.on('close', () => closed.push(index));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, received, served, closed };
}

async function client(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  clients.push(socket);
  await once(socket, 'connect');
  return socket;
}

describe('readShared (src/modbus/shared-read.ts)', () => {
  it('hands each connection its own bytes although they share one read buffer, writes back, and ends with the peer (pause and resume: the backpressure tests in modbus-limits)', async () => {
    const s = await listen();
    const a = await client(s.port);
    const b = await client(s.port);
    await until('both accepted', () => (s.served.length === 2 ? true : undefined));
    expect(s.served[0]).not.toBe(s.served[1]);
    for (let i = 0; i < 50; i++) {
      a.write(`a${i};`);
      b.write(`B${i}.`.repeat(100));
    }
    const wantA = Array.from({ length: 50 }, (_, i) => `a${i};`).join('');
    const wantB = Array.from({ length: 50 }, (_, i) => `B${i}.`.repeat(100)).join('');
    await until('every byte read', () => (s.received[0] === wantA && s.received[1] === wantB ? true : undefined));

    // The socket it returned is the one that writes to the peer.
    const reply = once(a, 'data');
    s.served[0]!.write('pong');
    expect(String((await reply)[0])).toBe('pong');

    // The peer's FIN ends and closes the served socket.
    a.end();
    await until('connection 0 closed', () => (s.closed.includes(0) ? true : undefined));
    expect(s.closed).toEqual([0]);
  });

  it('falls back to data events for a socket it cannot take the handle of', () => {
    const chunks: Buffer[] = [];
    const socket = new Socket();
    const served = readShared(socket, (chunk) => chunks.push(chunk));
    expect(served).toBe(socket);
    socket.emit('data', Buffer.from('x'));
    expect(chunks.map(String)).toEqual(['x']);
    socket.destroy();
  });
});
