// Stands in for the `socks` package inside the bundled CLI. mqtt.js requires it with its TCP
// transport, for the `socksProxy` option only, which the emulator never sets (a profile has no
// such field); loading it cost 5-11 ms of every start with MQTT on (#19). Should it ever be
// reached, it fails with a message that says why.
'use strict';

class SocksClient {
  constructor() {
    throw new Error('iothinx-sim: MQTT over a SOCKS proxy is not supported (the bundled CLI leaves the socks package out)');
  }
}

module.exports = { SocksClient };
