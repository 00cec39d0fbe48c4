/**
 * The MQTT topic model (reference §5, M-EZ p=62-63, p=117-120):
 *
 *   publish    {deviceName}/read/{ioName}/{parameter}     payload {"value": n[, "ts": ISO time]}
 *   subscribe  {deviceName}/write/{ioName}/{parameter}    payload {"value": n}
 *   status     {deviceName}/status                        {"value":"online"} / last will {"value":"offline"}
 *
 * Every attribute of every channel and internal register is a publish topic; which ones are
 * enabled, and with what QoS, retain flag and trigger, comes from `mqtt.defaults` and the
 * ordered `mqtt.topics` rules (docs/mqtt.md). The device-wide rules that need the rail (rules
 * matching nothing, the 256-topic limit) are checked here; the per-parameter trigger rules are
 * already checked by the schema (src/config/sections.ts).
 */
import { globToRegExp, MQTT_TOPICS, type MqttTopicClass, type MqttTriggerRule } from '../config/sections.js';
import type { Profile } from '../config/profile.js';
import type { AttributeSpec, Channel } from '../device/channel.js';
import { ManualClock } from '../device/clock.js';
import { Device } from '../device/device.js';
import { IR_PREFIX, IrChannel } from '../device/internal-registers.js';
import type { Qos, Trigger } from './contract.js';

export type MqttConfig = Profile['mqtt'];
/** Shown in GET /sim/v1/mqtt/topics, so declared in the contract. */
export type { Qos, Trigger };

export interface TopicSettings {
  enabled: boolean;
  qos: Qos;
  retain: boolean;
  trigger: Trigger;
  intervalMs: number;
  deadband: number;
}

export interface PublishTopic extends TopicSettings {
  readonly topic: string;
  readonly channel: Channel;
  readonly ioName: string;
  readonly parameter: string;
  readonly spec: AttributeSpec;
  readonly class: MqttTopicClass;
}

export interface TopicIssue {
  path: (string | number)[];
  message: string;
}

export function readTopic(deviceName: string, ioName: string, parameter: string): string {
  return `${deviceName}/read/${ioName}/${parameter}`;
}

export function writeTopic(deviceName: string, ioName: string, parameter: string): string {
  return `${deviceName}/write/${ioName}/${parameter}`;
}

/** One subscription covers every write topic; unknown ones are refused per message. */
export function writeTopicFilter(deviceName: string): string {
  return `${deviceName}/write/+/+`;
}

/** The fixed last-will topic (M-EZ p=62: fixed by the device; ASSUMPTION for its name). */
export function statusTopic(deviceName: string): string {
  return `${deviceName}/status`;
}

export const ONLINE_PAYLOAD = '{"value":"online"}';
export const OFFLINE_PAYLOAD = '{"value":"offline"}';

/** `{ioName, parameter}` of a write topic of this device, or undefined. */
export function parseWriteTopic(deviceName: string, topic: string): { ioName: string; parameter: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== deviceName || parts[1] !== 'write' || !parts[2] || !parts[3]) return undefined;
  return { ioName: parts[2], parameter: parts[3] };
}

/**
 * The attribute a write topic's parameter names. The manual's subscribe list names the internal
 * registers' parameters birValue, wirValue, dirValue and firValue (M-EZ p=120); the model calls
 * them all irValue, so both spellings are accepted.
 */
export function writeAttribute(channel: Channel, parameter: string): string {
  if (channel instanceof IrChannel && parameter === `${IR_PREFIX[channel.irType].toLowerCase()}Value`) return 'irValue';
  return parameter;
}

/** `{"value": n}` or, with extraKeys, `{"value": n, "ts": "2026-01-01T00:00:00.000Z"}` (device clock). */
export function encodePayload(value: number, at: number, extraKeys: boolean): string {
  const v = JSON.stringify(value);
  return extraKeys ? `{"value":${v},"ts":"${isoTime(at)}"}` : `{"value":${v}}`;
}

/** A burst of changes shares one clock reading; format it once. */
let lastAt = Number.NaN;
let lastIso = '';
/** The date part ("2026-01-01T") of the day that starts at `dayStart`, from Date once a day. */
let dayStart = Number.NaN;
let dayPrefix = '';
const MS_PER_DAY = 86_400_000;

/**
 * Date.prototype.toISOString, the time of day done in arithmetic: toISOString took 8-14 µs
 * (median) of a change's way to the socket when the process had slept between changes, about a
 * tenth of the emulator's part of the FC5-to-subscriber latency (#19); this takes under 1 µs.
 */
export function isoTime(time: number): string {
  if (time === lastAt) return lastIso;
  // As Date does: a fractional time is cut toward zero; an invalid one throws (RangeError).
  const at = Math.trunc(time);
  if (!(Math.abs(at) <= 8.64e15)) return new Date(time).toISOString();
  const day = Math.floor(at / MS_PER_DAY) * MS_PER_DAY;
  if (day !== dayStart) {
    const iso = new Date(day).toISOString();
    dayStart = day;
    dayPrefix = iso.slice(0, iso.indexOf('T') + 1);
  }
  let rest = at - day;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const s = rest % 60;
  rest = (rest - s) / 60;
  const m = rest % 60;
  const h = (rest - m) / 60;
  lastAt = time;
  lastIso = `${dayPrefix}${two(h)}:${two(m)}:${two(s)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  return lastIso;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** A topic the table does not know (none today; the unit test checks) is treated as an attribute. */
function triggerRule(parameter: string): MqttTriggerRule {
  return MQTT_TOPICS[parameter] ?? { class: 'attribute', allowed: 'interval', default: 'interval' };
}

function concreteTrigger(choice: string, rule: MqttTriggerRule): Trigger | undefined {
  switch (choice) {
    case 'onChange':
      return rule.allowed === 'both' ? 'onChange' : undefined;
    case 'interval':
      return 'interval';
    case 'onChangeWhereAllowed':
      return rule.allowed === 'both' ? 'onChange' : 'interval';
    default:
      return rule.default;
  }
}

/**
 * What the rules make of a rail: each (channel, attribute) pair's settings in the rail's order
 * (null: disabled) and the problems found. It names no device, so the devices of a fleet, which
 * share their rules and their rail, share one (`plans`).
 */
interface TopicPlan {
  layout: string;
  defaults: MqttConfig['defaults'];
  maxTopics: number;
  settings: (TopicSettings | null)[];
  issues: TopicIssue[];
}

/** The last plan made with each rule list (a fleet's devices share theirs): at 1,000 devices the rules took 0.8 ms a device. */
const plans = new WeakMap<MqttConfig['topics'], TopicPlan>();

/** The rail's pairs as one string: equal strings, equal plans. */
function layoutOf(device: Device): string {
  let layout = '';
  for (const channel of device.allChannels()) {
    layout += `${channel.ioName}:`;
    for (const spec of channel.attributes) layout += `${spec.name}${spec.topicClass === 'value' ? '+' : ','}`;
    layout += '\n';
  }
  return layout;
}

function planTopics(device: Device, config: MqttConfig, layout: string): TopicPlan {
  const rules = config.topics.map((rule) => ({ rule, ioName: globToRegExp(rule.ioName), parameter: globToRegExp(rule.parameter), matched: 0 }));
  const issues: TopicIssue[] = [];
  const badTrigger = new Set<number>();
  const settingsOf: (TopicSettings | null)[] = [];
  let enabledCount = 0;
  let wildcard: { ioName: string; setBy: number | null } | undefined;
  for (const channel of device.allChannels()) {
    const ioName = channel.ioName;
    for (const spec of channel.attributes) {
      const table = triggerRule(spec.name);
      let choice: string = config.defaults.trigger;
      let enabled = false;
      let qos = config.defaults.qos as Qos;
      let retain = config.defaults.retain;
      let intervalMs = config.defaults.intervalMs;
      let deadband = config.defaults.deadband;
      let setBy: number | null = null;
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        if (!r.ioName.test(ioName) || !r.parameter.test(spec.name)) continue;
        if (r.rule.class !== undefined && r.rule.class !== spec.topicClass) continue;
        r.matched += 1;
        const rule = r.rule;
        if (rule.enabled !== undefined) {
          enabled = rule.enabled;
          setBy = i;
        }
        if (rule.qos !== undefined) qos = rule.qos;
        if (rule.retain !== undefined) retain = rule.retain;
        if (rule.intervalMs !== undefined) intervalMs = rule.intervalMs;
        if (rule.deadband !== undefined) deadband = rule.deadband;
        if (rule.trigger !== undefined) {
          choice = rule.trigger;
          if (rule.trigger === 'onChange' && table.allowed === 'interval' && !badTrigger.has(i)) {
            badTrigger.add(i);
            issues.push({ path: ['mqtt', 'topics', i, 'trigger'], message: `onChange is not allowed for ${spec.name}: Interval only (M-EZ p=118-119)` });
          }
        }
      }
      if (!enabled) {
        settingsOf.push(null);
        continue;
      }
      enabledCount += 1;
      // [MQTT-3.3.2-2] a topic name must not contain wildcards; a channel name may hold a '+'.
      if (wildcard === undefined && /[+#]/.test(ioName)) wildcard = { ioName, setBy };
      settingsOf.push({ enabled, qos, retain, intervalMs, deadband, trigger: concreteTrigger(choice, table) ?? 'interval' });
    }
  }
  rules.forEach((r, i) => {
    if (r.matched === 0) {
      issues.push({ path: ['mqtt', 'topics', i], message: `matches no topic of this device (ioName "${r.rule.ioName}", parameter "${r.rule.parameter}"${r.rule.class ? `, class ${r.rule.class}` : ''})` });
    }
  });
  if (wildcard) {
    issues.push({ path: wildcard.setBy === null ? ['mqtt', 'topics'] : ['mqtt', 'topics', wildcard.setBy], message: `${wildcard.ioName} contains + or #, which an MQTT topic name cannot hold; rename the channel or module` });
  }
  if (enabledCount > config.maxTopics) {
    issues.push({
      path: ['mqtt', 'topics'],
      message: `${enabledCount} publish topics are enabled; the device allows at most ${config.maxTopics} (M-EZ p=62-63; mqtt.maxTopics)`,
    });
  }
  return { layout, defaults: config.defaults, maxTopics: config.maxTopics, settings: settingsOf, issues };
}

/**
 * The device's enabled publish topics with their resolved settings, plus the problems found,
 * each with its path in the profile.
 */
export function resolveTopics(device: Device, config: MqttConfig): { topics: PublishTopic[]; issues: TopicIssue[] } {
  const layout = layoutOf(device);
  let plan = plans.get(config.topics);
  if (!plan || plan.layout !== layout || plan.defaults !== config.defaults || plan.maxTopics !== config.maxTopics) {
    plan = planTopics(device, config, layout);
    plans.set(config.topics, plan);
  }
  const deviceName = device.identity.name;
  const topics: PublishTopic[] = [];
  let k = 0;
  for (const channel of device.allChannels()) {
    for (const spec of channel.attributes) {
      const settings = plan.settings[k++];
      if (!settings) continue;
      // Field by field, not `...settings`: a spread followed by more fields made every topic a
      // slow object here, 4.8 ms a device for its ~600 topics instead of 0.5 ms (a fleet's start).
      topics.push({
        enabled: settings.enabled,
        qos: settings.qos,
        retain: settings.retain,
        intervalMs: settings.intervalMs,
        deadband: settings.deadband,
        trigger: settings.trigger,
        topic: readTopic(deviceName, channel.ioName, spec.name),
        channel,
        ioName: channel.ioName,
        parameter: spec.name,
        spec,
        class: spec.topicClass,
      });
    }
  }
  // A copy: the plan is shared by every device with these rules and rail.
  return { topics, issues: plan.issues.slice() };
}

/**
 * The MQTT rules that need the rail, for `validate`, `start` and PUT /sim/v1/config: builds the
 * Device from the profile, resolves the topic table and returns its problems (paths from the
 * profile root, e.g. `mqtt.topics.2`).
 */
export function checkMqttTopics(profile: Profile): TopicIssue[] {
  const device = new Device(profile, new ManualClock());
  try {
    return resolveTopics(device, profile.mqtt).issues;
  } finally {
    device.dispose();
  }
}
