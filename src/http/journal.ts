/**
 * HTTP requests in the device journal, and the actor context that stamps the writes they cause
 * with the client's address. The device API (/api) is a protocol like Modbus: every request is
 * recorded. The emulator API records what changes things (not its GETs, which the web UI and
 * tests poll all the time, nor the journal reads themselves).
 */
import type { RequestHandler } from 'express';
import { actors } from '../device/actor.js';
import type { Device } from '../device/device.js';
import { formatAddress } from '../net-address.js';

export function journalRequests(device: Device, source: 'rest' | 'http', everyMethod: boolean): RequestHandler {
  return (req, res, next) => {
    const socket = req.socket;
    const peer = socket.remoteAddress ? formatAddress({ address: socket.remoteAddress, family: socket.remoteFamily ?? 'IPv4', port: socket.remotePort ?? 0 }) : null;
    if (everyMethod || (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS')) {
      res.on('finish', () => {
        device.journal.record({ kind: 'request', source, peer, action: `${req.method} ${req.originalUrl}`, result: String(res.statusCode) });
      });
    }
    actors.run({ peer }, next);
  };
}
