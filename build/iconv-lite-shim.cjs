// Stands in for iconv-lite inside the bundled CLI. body-parser and raw-body load iconv-lite for
// charsets other than UTF-8; its tables are a third of the bundle and cost start-up time, while
// the emulator's APIs take JSON in UTF-8 only. The encodings Node decodes natively are kept; any
// other is refused with iconv-lite's own message, which raw-body turns into a 415.
'use strict';
const { StringDecoder } = require('node:string_decoder');

const NATIVE = new Map([
  ['utf8', 'utf8'], ['utf-8', 'utf8'], ['unicode-1-1-utf-8', 'utf8'],
  ['utf16le', 'utf16le'], ['utf-16le', 'utf16le'], ['ucs2', 'utf16le'], ['ucs-2', 'utf16le'],
  ['latin1', 'latin1'], ['iso-8859-1', 'latin1'], ['binary', 'latin1'], ['ascii', 'latin1'], ['us-ascii', 'latin1'],
]);

function native(encoding) {
  const name = NATIVE.get(String(encoding).toLowerCase());
  if (!name) throw new Error(`Encoding not recognized: '${encoding}' (searched as: '${String(encoding).toLowerCase()}')`);
  return name;
}

module.exports = {
  encodingExists: (encoding) => NATIVE.has(String(encoding).toLowerCase()),
  getDecoder: (encoding) => {
    const decoder = new StringDecoder(native(encoding));
    return { write: (buf) => decoder.write(buf), end: () => decoder.end() };
  },
  decode: (buf, encoding) => {
    const text = Buffer.from(buf).toString(native(encoding));
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  },
};
