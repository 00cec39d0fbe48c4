/**
 * The fleet API's view of a Fleet (FleetControl, src/fleet/contract.ts): devices by name, their
 * health, runtime adds and removes, the shared clock, and one feed of every device's changes.
 *
 *   Device.onChange (each device, subscribed while a fleet event stream is open) ─┐
 *   Fleet membership (added / removed) ───────────────────────────────────────────┴─► onEvent listeners
 */
import type { Express } from 'express';
import type { Emulator } from '../app/emulator.js';
import { Listeners } from '../device/listeners.js';
import { SimError } from '../errors.js';
import type { DeviceHealth, FleetControl, FleetDevice, FleetDeviceHandle, FleetEvent, FleetHealth } from './contract.js';
import type { FleetMember, FleetMembers } from './members.js';

/** The first few names a not-ready health report lists. */
const NOT_READY_LISTED = 100;

function healthOf(emulator: Emulator): DeviceHealth {
  const mqtt = emulator.mqttService;
  const state = mqtt === null ? 'off' : mqtt.status().connected ? 'connected' : 'connecting';
  // Listed devices have every listener bound (Emulator.start resolves after each service started).
  return { ready: state !== 'connecting', mqtt: state };
}

export interface FleetControlHandle extends FleetControl<Express> {
  /** Drops the subscriptions this control holds on the fleet and its devices. */
  dispose(): void;
}

export function fleetControl(fleet: FleetMembers, logger: { error(obj: object, msg: string): void }): FleetControlHandle {
  const byName = new Map<string, number>();
  for (const m of fleet.list()) byName.set(m.name, m.index);
  const events = new Listeners<FleetEvent>('fleet event', logger, (event) => ({ device: event.device }));
  /** Change subscriptions per device index, held while a listener exists. */
  const changes = new Map<number, () => void>();
  const follow = (index: number, name: string) => {
    const emulator = fleet.device(index);
    if (!emulator || changes.has(index)) return;
    changes.set(index, emulator.device.onChange((change) => events.emit({ kind: 'change', device: name, change })));
  };
  const unfollow = (index: number) => {
    changes.get(index)?.();
    changes.delete(index);
  };
  const stopMembership = fleet.onMembership((event) => {
    if (event.kind === 'added') {
      byName.set(event.name, event.index);
      if (events.size > 0) follow(event.index, event.name);
    } else {
      if (byName.get(event.name) === event.index) byName.delete(event.name);
      unfollow(event.index);
    }
    if (events.size > 0) events.emit({ kind: event.kind, device: event.name, index: event.index });
  });

  const describe = (member: FleetMember, emulator: Emulator): FleetDevice => {
    const path = `/fleet/v1/devices/${encodeURIComponent(member.name)}`;
    return {
      index: member.index,
      name: member.name,
      serialNumber: member.serialNumber,
      mac: member.mac,
      ip: member.ip,
      endpoints: member.addresses,
      unitId: member.unitId,
      health: healthOf(emulator),
      links: { sim: `${path}/sim/v1/`, api: `${path}/api/` },
    };
  };
  const listed = (): { member: FleetMember; emulator: Emulator }[] =>
    fleet.list().flatMap((member) => {
      const emulator = fleet.device(member.index);
      return emulator ? [{ member, emulator }] : [];
    });
  const handleOf = (index: number, name: string): FleetDeviceHandle<Express> | undefined => {
    const emulator = fleet.device(index);
    return emulator && { index, name, device: emulator.device, signals: emulator.signals, serial: emulator.serial, app: () => emulator.app, metrics: () => emulator.metrics() };
  };

  return {
    clock: fleet.clock,
    scenarios: fleet.scenarios,
    list: () => listed().map(({ member, emulator }) => describe(member, emulator)),
    count: () => fleet.size,
    handle: (name) => {
      const index = byName.get(name);
      return index === undefined ? undefined : handleOf(index, name);
    },
    handles: () => fleet.list().flatMap((m) => handleOf(m.index, m.name) ?? []),
    add: async (index) => {
      const member = await fleet.add(index);
      const emulator = fleet.device(index);
      if (!emulator) throw new SimError('FLEET_DEVICE_UNKNOWN', `fleet device ${index} stopped while it started`);
      return describe(member, emulator);
    },
    remove: async (name) => {
      const index = byName.get(name);
      return index === undefined ? false : fleet.remove(index);
    },
    health: (): FleetHealth => {
      const all = listed();
      const notReady = all.filter(({ emulator }) => !healthOf(emulator).ready).map(({ member }) => member.name);
      const starting = fleet.starting();
      return {
        status: notReady.length === 0 && starting.length === 0 ? 'ready' : 'starting',
        devices: all.length,
        ready: all.length - notReady.length,
        starting,
        notReady: notReady.slice(0, NOT_READY_LISTED),
        clock: fleet.clock.kind,
      };
    },
    gateway: () => fleet.gateway(),
    onEvent: (listener) => {
      const remove = events.add(listener);
      if (events.size === 1) for (const m of fleet.list()) follow(m.index, m.name);
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        remove();
        if (events.size === 0) for (const index of [...changes.keys()]) unfollow(index);
      };
    },
    dispose: () => {
      stopMembership();
      for (const index of [...changes.keys()]) unfollow(index);
    },
  };
}
