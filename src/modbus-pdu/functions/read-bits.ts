/** FC 01 Read Coils and FC 02 Read Discrete Inputs (Modbus Application Protocol v1.1b3 §6.1, §6.2). */
import type { PointSpace } from '../point-space.js';
import { readRequest } from './checks.js';

export function readBits(map: PointSpace, pdu: Buffer): Buffer {
  const fc = pdu[0] as number;
  const { address, quantity } = readRequest(pdu, 2000);
  const bits = map.readBits(fc === 1 ? 'coil' : 'discrete', address, quantity);
  const byteCount = Math.ceil(quantity / 8);
  const out = Buffer.alloc(2 + byteCount);
  out[0] = fc;
  out[1] = byteCount;
  for (let i = 0; i < quantity; i++) if (bits[i]) out[2 + (i >> 3)]! |= 1 << (i & 7);
  return out;
}
