/**
 * The head unit's own data points (slot 0): the Modbus connection watchdog's alarm flag and the
 * system error code (M-EZ p=106-107), plus the RTU master's status words, which the Modbus RTU
 * master fills (M-EZ p=107; bit n of the device status = profile n failed, an ASSUMPTION).
 */
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const ATTRIBUTES = [attr('watchdogAlarmFlag', 'r', 'bit', 'value'), attr('systemError', 'r', 'uint16')];

export class HeadChannel extends Channel {
  readonly type = 'sys' as const;
  readonly attributes = ATTRIBUTES;
  private watchdogAlarm = false;
  private error = 0;
  /** modbusRtuMasterDeviceStatus, 4 words. */
  readonly rtuDeviceStatus = [0, 0, 0, 0];
  /** modbusRtuMasterprofileErrorCode, one word per RTU profile. */
  readonly rtuProfileErrorCode = [0, 0, 0, 0, 0, 0, 0, 0];

  constructor(host: ChannelHost, module: ModuleRef) {
    super(host, module, 0, 'system');
  }

  override get ioName(): string {
    return 'system';
  }

  get mode(): number {
    return 0;
  }

  /** Raised by the Modbus/TCP watchdog, cleared when a master talks again. */
  setWatchdogAlarm(on: boolean, source: 'modbus' | 'sim'): void {
    this.track(source, () => {
      this.watchdogAlarm = on;
    });
  }

  /** Written by the RTU master after every poll (src/serial/service.ts). */
  setRtuStatus(deviceStatus: readonly number[], profileErrorCodes: readonly number[]): void {
    deviceStatus.forEach((word, i) => {
      if (i < this.rtuDeviceStatus.length) this.rtuDeviceStatus[i] = word & 0xffff;
    });
    profileErrorCodes.forEach((code, i) => {
      if (i < this.rtuProfileErrorCode.length) this.rtuProfileErrorCode[i] = code & 0xffff;
    });
  }

  setSystemError(code: number, source: 'sim'): void {
    this.track(source, () => {
      this.error = code;
    });
  }

  protected readValue(attribute: string): number {
    if (attribute === 'watchdogAlarmFlag') return this.watchdogAlarm ? 1 : 0;
    if (attribute === 'systemError') return this.error;
    return 0;
  }

  protected applyWrite(): void {}

  protected applyFieldInput(_input: FieldInput): void {
    throw this.notApplicable('the head unit has no field-side input');
  }
}
