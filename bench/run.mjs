// `npm run bench`: every benchmark in turn. Each prints its figures next to a reference peer
// measured in the same run.
import { benchDeviceApi } from './device-api.mjs';
import { benchModbus } from './modbus.mjs';
import { benchMqtt } from './mqtt.mjs';
import { benchMqttMosquitto } from './mqtt-mosquitto.mjs';
import { benchSerial } from './serial.mjs';
import { benchSnmp } from './snmp.mjs';
import { benchCtl, benchStartup } from './startup.mjs';

await benchStartup();
await benchCtl();
await benchModbus();
await benchDeviceApi();
await benchMqtt();
await benchMqttMosquitto();
await benchSerial();
await benchSnmp();
