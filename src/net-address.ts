import type { AddressInfo } from 'node:net';

/**
 * `host:port` of a bound listener, IPv6 in brackets (`[::1]:502`): the form the ready file, the
 * logs and the status routes use for every service.
 */
export function formatAddress(info: AddressInfo): string {
  return info.family === 'IPv6' || info.address.includes(':') ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`;
}

/** A URL without its user:password, for logs, statuses and messages (a broker URL may carry them). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/, '$1');
}
