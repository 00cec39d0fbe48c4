/** How the device writes times: the device API's sysInfo, the SNMP deviceLocalDateTime. */
const pad = (n: number): string => String(n).padStart(2, '0');

/** `yyyy/mm/dd hh:mm:ss` of the device clock, in UTC (the emulated device has no time zone). */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `hh:mm:ss`; the hours go past 24 (and past 99) rather than wrapping into days. */
export function formatUpTime(seconds: number): string {
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}
