#!/usr/bin/env node
// The image's HEALTHCHECK (docs/container.md#health): exits 0 once the emulator says it is ready,
// GET /sim/v1/health/ready for one device or GET /fleet/v1/health for a fleet (a 404 on the
// first), on the HTTP listener IOTHINX_SIM_HTTP names; else 1 with the reason. Node only: a slim
// image has no curl.
'use strict';
const http = require('node:http');

const listen = process.env.IOTHINX_SIM_HTTP || '127.0.0.1:8080';
const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen) || /^()()(\d{1,5})$/.exec(listen);
if (!m) {
  process.stderr.write(`healthcheck: IOTHINX_SIM_HTTP=${listen}: no HTTP listener to ask\n`);
  process.exit(1);
}
const bound = m[1] || m[2] || '127.0.0.1';
// A wildcard listener answers on loopback.
const host = bound === '0.0.0.0' ? '127.0.0.1' : bound === '::' ? '::1' : bound;
const port = Number(m[3]);

function get(path) {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout: 2000, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body = (body + d).slice(0, 500)));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 2 s')));
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
  });
}

(async () => {
  let answer = await get('/sim/v1/health/ready');
  if (answer.status === 404) answer = await get('/fleet/v1/health');
  if (answer.status === 200) process.exit(0);
  process.stderr.write(`healthcheck: not ready: ${answer.status || 'unreachable'} ${answer.body}\n`);
  process.exit(1);
})();
