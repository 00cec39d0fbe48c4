/**
 * What waitFor waits for and assert checks, and how each step reads in results and the journal.
 * A condition is evaluated against the device now: a channel attribute, the journal entries in
 * the run's (or the step's) window, or the MQTT messages seen in that window.
 */
import * as z from 'zod';
import { resolveChannelRef } from '../config/profile.js';
import type { Device } from '../device/device.js';
import { actionOf, type Condition, type MqttFilterSpec, type ScenarioStep, type StepAction, type StepDevices } from './scenario-schema.js';

/** An MQTT message as the emulator reports it (src/mqtt/service.ts MqttLogEntry); other fields are ignored. */
export const mqttMessageSchema = z.looseObject({ topic: z.string(), direction: z.enum(['out', 'in']).optional(), payload: z.string().optional() });
export type MqttMessage = z.infer<typeof mqttMessageSchema>;

/** Where counting starts: journal seq and MQTT message number already seen. */
export interface Window {
  journalSeq: number;
  mqttIndex: number;
}

export interface Evaluation {
  holds: boolean;
  detail: string;
}

/** MQTT topic filter matching: `+` is one level, `#` (last) the rest, including none. [MQTT-4.7.1-2], [MQTT-4.7.1-3] */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

const payloadValue = z.object({ value: z.number() });

function mqttMatches(filter: MqttFilterSpec, message: MqttMessage): boolean {
  if (!topicMatches(filter.topic, message.topic)) return false;
  if (filter.direction !== undefined && message.direction !== filter.direction) return false;
  if (filter.value === undefined) return true;
  try {
    const parsed = payloadValue.safeParse(JSON.parse(message.payload ?? ''));
    return parsed.success && parsed.data.value === filter.value;
  } catch {
    return false;
  }
}

/** waitFor: count and min are "at least"; assert: count is "exactly". Neither given means at least one. */
function countHolds(n: number, c: Condition, mode: 'waitFor' | 'assert'): { holds: boolean; expected: string } {
  const parts: string[] = [];
  let holds = true;
  if (c.count !== undefined) {
    holds &&= mode === 'assert' ? n === c.count : n >= c.count;
    parts.push(mode === 'assert' ? `exactly ${c.count}` : `at least ${c.count}`);
  }
  if (c.min !== undefined) {
    holds &&= n >= c.min;
    parts.push(`at least ${c.min}`);
  }
  if (c.max !== undefined) {
    holds &&= n <= c.max;
    parts.push(`at most ${c.max}`);
  }
  if (parts.length === 0) {
    holds = n >= 1;
    parts.push('at least 1');
  }
  return { holds, expected: parts.join(' and ') };
}

function compare(value: number, c: Condition): { holds: boolean; expected: string } {
  const parts: string[] = [];
  let holds = true;
  if (c.equals !== undefined) {
    holds &&= value === c.equals;
    parts.push(`== ${c.equals}`);
  }
  if (c.above !== undefined) {
    holds &&= value > c.above;
    parts.push(`> ${c.above}`);
  }
  if (c.below !== undefined) {
    holds &&= value < c.below;
    parts.push(`< ${c.below}`);
  }
  if (c.approx !== undefined) {
    const tolerance = c.tolerance ?? 0;
    holds &&= Math.abs(value - c.approx) <= tolerance;
    parts.push(`≈ ${c.approx} ± ${tolerance}`);
  }
  return { holds, expected: parts.join(' and ') };
}

export function evaluate(device: Device, c: Condition, window: Window, mqtt: readonly MqttMessage[], mode: 'waitFor' | 'assert'): Evaluation {
  if (c.target !== undefined && c.attribute !== undefined) {
    const channel = resolveChannelRef(device, c.target);
    if (!channel) return { holds: false, detail: `no channel ${c.target}` };
    const value = channel.read(c.attribute);
    const { holds, expected } = compare(value, c);
    return { holds, detail: `${c.attribute} = ${value}${holds ? '' : `, expected ${expected}`}` };
  }
  if (c.journal) {
    const { value, result, ioName, ...filter } = c.journal;
    const resolved = ioName === undefined ? undefined : (resolveChannelRef(device, ioName)?.ioName ?? ioName);
    const n = device.journal
      .query({ ...filter, ioName: resolved, since: window.journalSeq })
      .filter((e) => (value === undefined || e.value === value) && (result === undefined || e.result === result)).length;
    const { holds, expected } = countHolds(n, c, mode);
    return { holds, detail: `${n} journal entr${n === 1 ? 'y' : 'ies'}${holds ? '' : `, expected ${expected}`}` };
  }
  if (c.mqtt) {
    const filter = c.mqtt;
    const n = mqtt.slice(window.mqttIndex).filter((m) => mqttMatches(filter, m)).length;
    const { holds, expected } = countHolds(n, c, mode);
    return { holds, detail: `${n} MQTT message${n === 1 ? '' : 's'} on ${filter.topic}${holds ? '' : `, expected ${expected}`}` };
  }
  return { holds: false, detail: 'no condition' };
}

function describeCondition(c: Condition): string {
  if (c.target !== undefined) {
    const cmp = [c.equals !== undefined ? `== ${c.equals}` : '', c.above !== undefined ? `> ${c.above}` : '', c.below !== undefined ? `< ${c.below}` : '', c.approx !== undefined ? `≈ ${c.approx} ± ${c.tolerance ?? 0}` : '']
      .filter(Boolean)
      .join(' and ');
    return `${c.target} ${c.attribute} ${cmp}`;
  }
  const counted = (c.count !== undefined ? ` count ${c.count}` : '') + (c.min !== undefined ? ` min ${c.min}` : '') + (c.max !== undefined ? ` max ${c.max}` : '');
  const window = c.window === 'step' ? ' since step' : '';
  if (c.journal) {
    const filter = Object.entries(c.journal)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `journal ${filter}${counted}${window}`;
  }
  return `mqtt ${c.mqtt?.topic ?? ''}${c.mqtt?.direction ? ` ${c.mqtt.direction}` : ''}${c.mqtt?.value !== undefined ? ` value=${c.mqtt.value}` : ''}${counted}${window}`;
}

/** The devices a step names, for its description: `Line1-002`, `Line1-001, Line1-002`, `all devices`. */
export function devicesText(devices: StepDevices): string {
  if (devices === 'all') return 'all devices';
  if (typeof devices === 'string') return devices;
  return devices.length <= 3 ? devices.join(', ') : `${devices.slice(0, 2).join(', ')} and ${devices.length - 2} more`;
}

/**
 * One line per step, as results and the journal show it: `set 1/0 level=1`, `wait 500 ms`, and
 * ` on Line1-002` when the step names its device.
 */
export function describeStep(step: ScenarioStep): string {
  if (step.description !== undefined) return step.description;
  const text = describeAction(actionOf(step));
  return step.device === undefined ? text : `${text} on ${devicesText(step.device)}`;
}

function describeAction(action: StepAction): string {
  switch (action.type) {
    case 'set': {
      const { target, ...input } = action.spec;
      return `set ${target} ${Object.entries(input)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`;
    }
    case 'write':
      return `write ${action.spec.target} ${action.spec.attribute}=${action.spec.value}`;
    case 'signal':
      return action.spec.signal === null ? `signal ${action.spec.target} detach` : `signal ${action.spec.target} ${action.spec.signal.kind}`;
    case 'wait':
      return `wait ${action.ms} ms`;
    case 'waitFor':
      return `waitFor ${describeCondition(action.spec)} within ${action.spec.timeoutMs} ms`;
    case 'fault':
      return `fault ${action.spec.spec.kind}${action.spec.as !== undefined ? ` as ${action.spec.as}` : ''}`;
    case 'clearFault':
      return `clearFault ${action.name}`;
    case 'assert':
      return `assert ${describeCondition(action.spec)}`;
    case 'log':
      return `log ${action.text}`;
  }
}
