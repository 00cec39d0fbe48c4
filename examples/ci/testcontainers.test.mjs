// Testcontainers (testcontainers-node) starting the iothinx-sim image for a test (docs/ci.md).
//   npm i -D testcontainers@11     (12 needs Node 22)
//   node --test examples/ci/testcontainers.test.mjs
// With podman instead of docker: DOCKER_HOST=unix:///run/podman/podman.sock
// TESTCONTAINERS_RYUK_DISABLED=true (the reaper image comes from Docker Hub).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GenericContainer, Wait } from 'testcontainers';

const IMAGE = process.env.IOTHINX_SIM_IMAGE ?? 'iothinx-sim:latest';
let device;

before(async () => {
  device = await new GenericContainer(IMAGE)
    // Ports above 1024 inside, so a non-root user binds them on podman too (docker 20.10+ lets
    // it bind 80 and 502; podman needs --sysctl net.ipv4.ip_unprivileged_port_start=0, which
    // testcontainers cannot pass).
    .withEnvironment({
      IOTHINX_SIM_HTTP: '0.0.0.0:8080',
      IOTHINX_SIM_HTTPS: '0.0.0.0:8443',
      IOTHINX_SIM_MODBUS: '0.0.0.0:5020',
      IOTHINX_SIM_SNMP: '0.0.0.0:1161',
      IOTHINX_SIM_CLOCK: 'manual',
    })
    // Every port the image EXPOSEs is published as well: podman 4.3 lists them among the port
    // bindings, and testcontainers 11 waits for each to be bound.
    .withExposedPorts(8080, 5020, 80, 502, 1883, { container: 161, protocol: 'udp' })
    // 200 once every service listens and the MQTT client is connected.
    .withWaitStrategy(Wait.forHttp('/sim/v1/health/ready', 8080).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
});

after(async () => {
  await device?.stop();
});

test('the device answers its emulator API and moves only when the test advances its clock', async () => {
  const api = `http://${device.getHost()}:${device.getMappedPort(8080)}/sim/v1`;
  const snapshot = await (await fetch(`${api}/device`)).json();
  assert.equal(snapshot.name, 'ioThinx_4510');
  const before = await (await fetch(`${api}/clock`)).json();
  const advanced = await fetch(`${api}/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 1000 }) });
  assert.equal(advanced.status, 200);
  assert.equal((await advanced.json()).now, before.now + 1000);
  // Modbus/TCP is at device.getHost():device.getMappedPort(5020).
});
