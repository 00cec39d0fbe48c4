/**
 * The two headers the device API demands on every request, GET included (reference §3a, M-EZ
 * p=114): `Accept: vdn.dac.v2` (else 101 UnsupportedVersion) and `Content-Type:
 * application/json` (else 102 UnsupportedDocFormat). Accept is checked first.
 */
import { DacCode, DacError } from './errors.js';

export const ACCEPT = 'vdn.dac.v2';
export const CONTENT_TYPE = 'application/json';

/** `vdn.dac.v1`, `VDN.DAC.V3`: a version of the API, just not ours. */
const OTHER_VERSION = /^vdn\.dac\.v\d+$/;

/** The media type of a header entry: lower case, without parameters (`;q=0.9`, `;charset=`). */
function mediaType(entry: string): string {
  const semi = entry.indexOf(';');
  return (semi < 0 ? entry : entry.slice(0, semi)).trim().toLowerCase();
}

/**
 * Passes when any entry of the Accept list is vdn.dac.v2 (so `vdn.dac.v2, application/json`
 * passes too); a wildcard Accept does not, as the device wants the version named.
 */
export function checkAccept(accept: string | undefined): void {
  if (accept === undefined || accept.trim() === '') {
    throw new DacError(DacCode.UnsupportedVersion, `the Accept header is missing; send Accept: ${ACCEPT}`);
  }
  // The common case, one exact entry, without splitting.
  if (accept === ACCEPT) return;
  const types = accept.split(',').map(mediaType);
  if (types.includes(ACCEPT)) return;
  const other = types.find((t) => OTHER_VERSION.test(t));
  if (other !== undefined) {
    throw new DacError(DacCode.UnsupportedVersion, `Accept: ${other} is not supported; this device speaks ${ACCEPT}`);
  }
  throw new DacError(DacCode.UnsupportedVersion, `Accept: ${accept} names no API version; send Accept: ${ACCEPT}`);
}

/** Passes on application/json, with or without `charset=utf-8`; any other charset is refused. */
export function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') {
    throw new DacError(DacCode.UnsupportedDocFormat, `the Content-Type header is missing; send Content-Type: ${CONTENT_TYPE}`);
  }
  if (contentType === CONTENT_TYPE) return;
  if (mediaType(contentType) !== CONTENT_TYPE) {
    throw new DacError(DacCode.UnsupportedDocFormat, `Content-Type: ${contentType} is not supported; send Content-Type: ${CONTENT_TYPE}`);
  }
  for (const param of contentType.split(';').slice(1)) {
    const [name = '', value = ''] = param.split('=').map((s) => s.trim().toLowerCase());
    if (name === 'charset' && value.replace(/^"|"$/g, '') !== 'utf-8') {
      throw new DacError(DacCode.UnsupportedDocFormat, `Content-Type: ${contentType}: only charset=utf-8 is supported`);
    }
  }
}
