/** One line per request for logs and the journal: "FC3 read holding 0 x10", "FC5 write coil 3 = 1". */
const TABLES: Record<number, string> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input', 5: 'coil', 6: 'holding', 15: 'coil', 16: 'holding' };

/** `length`: the whole PDU's length when `pdu` holds only its first bytes. */
export function describePdu(pdu: Buffer, length = pdu.length): string {
  const fc = pdu[0] ?? 0;
  if (length < 5 || pdu.length < 5) return `FC${fc} (${length} bytes)`;
  const address = pdu.readUInt16BE(1);
  const second = pdu.readUInt16BE(3);
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return `FC${fc} read ${TABLES[fc]} ${address} x${second}`;
    case 5:
      return `FC5 write coil ${address} = ${second === 0xff00 ? 1 : second === 0 ? 0 : `0x${second.toString(16)}`}`;
    case 6:
      return `FC6 write holding ${address} = ${second}`;
    case 15:
    case 16:
      return `FC${fc} write ${TABLES[fc]} ${address} x${second}`;
    case 23:
      return pdu.length >= 9 ? `FC23 read holding ${address} x${second}, write ${pdu.readUInt16BE(5)} x${pdu.readUInt16BE(7)}` : `FC23 (${length} bytes)`;
    default:
      return `FC${fc}`;
  }
}
