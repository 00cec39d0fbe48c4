/**
 * `iothinx-sim/testing`: start a virtual ioThinx 4510 from a test and drive it.
 *
 *   import { startDevice } from 'iothinx-sim/testing';
 *   const device = await startDevice({ clock: 'manual' });
 *   await device.client.setField('1/0', { level: 1 });
 *   await device.readAttribute('1/0', 'diStatus');        // 1, over Modbus/TCP, address from the device's map
 *   const modbus = await device.modbusClient();          // a connected modbus-serial client
 *   await device.stop();
 *
 *   const fleet = await startFleet({ count: 20 });   // 20 distinct devices in one process
 */
export { startDevice, type HostPort, type StartDeviceOptions, type StartedDevice } from './start.js';
export { startFleet, type FleetDevice, type StartFleetOptions, type StartedFleet } from './fleet.js';
export { type ModbusClientOptions, type ModbusFixture, type ModbusPoint, type ModbusSerialClient } from './modbus.js';
export {
  CLIENT_ROUTES,
  SCENARIO_ROUTES,
  SimClient,
  channelPath,
  type ActiveFault,
  type ChannelRef,
  type ChannelSnapshot,
  type AccessibleIps,
  type BaseAddresses,
  type ClockAdvanced,
  type ClockState,
  type DeviceChange,
  type DeviceSnapshot,
  type FaultSpecInput,
  type FieldDeviceView,
  type FieldInput,
  type Health,
  type Readiness,
  type InternalRegister,
  type JournalEntry,
  type JournalPage,
  type JournalQuery,
  type MapRow,
  type ModbusStatus,
  type MqttLogEntry,
  type MqttStatusDocument,
  type MqttTopic,
  type Profile,
  type RunSummary,
  type ScenarioDocument,
  type ScenarioRun,
  type ScenarioStatus,
  type SerialFaultInput,
  type SerialStatusDocument,
  type SimClientOptions,
  type SnmpStatusDocument,
  type WaitOptions,
} from './client.js';
export { CLIENT_ERROR_CODES, SimClientError, isSimClientError, type ClientErrorCode, type SimClientErrorInit } from './errors.js';
