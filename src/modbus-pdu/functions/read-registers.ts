/** FC 03 Read Holding Registers and FC 04 Read Input Registers (spec §6.3, §6.4). */
import type { PointSpace } from '../point-space.js';
import { readRequest } from './checks.js';

export function readRegisters(map: PointSpace, pdu: Buffer): Buffer {
  const fc = pdu[0] as number;
  const { address, quantity } = readRequest(pdu, 125);
  const out = Buffer.allocUnsafe(2 + 2 * quantity);
  out[0] = fc;
  out[1] = 2 * quantity;
  map.readRegisters(fc === 3 ? 'holding' : 'input', address, quantity, out, 2);
  return out;
}
