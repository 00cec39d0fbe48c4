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
function isoTime(at: number): string {
  if (at !== lastAt) {
    lastAt = at;
    lastIso = new Date(at).toISOString();
  }
  return lastIso;
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
 * Every publish topic of the device with its resolved settings (enabled or not), plus the
 * problems found, each with its path in the profile.
 */
export function resolveTopics(device: Device, config: MqttConfig): { topics: PublishTopic[]; issues: TopicIssue[] } {
  const deviceName = device.identity.name;
  const rules = config.topics.map((rule) => ({ rule, ioName: globToRegExp(rule.ioName), parameter: globToRegExp(rule.parameter), matched: 0 }));
  const issues: TopicIssue[] = [];
  const badTrigger = new Set<number>();
  const topics: PublishTopic[] = [];
  const enabledBy = new Map<PublishTopic, number | null>();
  for (const channel of device.allChannels()) {
    for (const spec of channel.attributes) {
      const table = triggerRule(spec.name);
      let choice: string = config.defaults.trigger;
      const settings = { enabled: false, qos: config.defaults.qos as Qos, retain: config.defaults.retain, intervalMs: config.defaults.intervalMs, deadband: config.defaults.deadband };
      let setBy: number | null = null;
      rules.forEach((r, i) => {
        if (!r.ioName.test(channel.ioName) || !r.parameter.test(spec.name)) return;
        if (r.rule.class !== undefined && r.rule.class !== spec.topicClass) return;
        r.matched += 1;
        const { enabled, qos, retain, trigger, intervalMs, deadband } = r.rule;
        if (enabled !== undefined) {
          settings.enabled = enabled;
          setBy = i;
        }
        if (qos !== undefined) settings.qos = qos;
        if (retain !== undefined) settings.retain = retain;
        if (intervalMs !== undefined) settings.intervalMs = intervalMs;
        if (deadband !== undefined) settings.deadband = deadband;
        if (trigger !== undefined) {
          choice = trigger;
          if (trigger === 'onChange' && table.allowed === 'interval' && !badTrigger.has(i)) {
            badTrigger.add(i);
            issues.push({ path: ['mqtt', 'topics', i, 'trigger'], message: `onChange is not allowed for ${spec.name}: Interval only (M-EZ p=118-119)` });
          }
        }
      });
      // Field by field, not `...settings`: a spread followed by more fields made every topic a
      // slow object here, 4.8 ms a device for its ~600 topics instead of 0.5 ms (a fleet's start).
      const topic: PublishTopic = {
        enabled: settings.enabled,
        qos: settings.qos,
        retain: settings.retain,
        intervalMs: settings.intervalMs,
        deadband: settings.deadband,
        trigger: concreteTrigger(choice, table) ?? 'interval',
        topic: readTopic(deviceName, channel.ioName, spec.name),
        channel,
        ioName: channel.ioName,
        parameter: spec.name,
        spec,
        class: spec.topicClass,
      };
      topics.push(topic);
      enabledBy.set(topic, setBy);
    }
  }
  rules.forEach((r, i) => {
    if (r.matched === 0) {
      issues.push({ path: ['mqtt', 'topics', i], message: `matches no topic of this device (ioName "${r.rule.ioName}", parameter "${r.rule.parameter}"${r.rule.class ? `, class ${r.rule.class}` : ''})` });
    }
  });
  const enabled = topics.filter((t) => t.enabled);
  for (const t of enabled) {
    // [MQTT-3.3.2-2] a topic name must not contain wildcards; a channel name may hold a '+'.
    if (/[+#]/.test(t.ioName)) {
      const by = enabledBy.get(t);
      issues.push({ path: by === null || by === undefined ? ['mqtt', 'topics'] : ['mqtt', 'topics', by], message: `${t.ioName} contains + or #, which an MQTT topic name cannot hold; rename the channel or module` });
      break;
    }
  }
  if (enabled.length > config.maxTopics) {
    issues.push({
      path: ['mqtt', 'topics'],
      message: `${enabled.length} publish topics are enabled; the device allows at most ${config.maxTopics} (M-EZ p=62-63; mqtt.maxTopics)`,
    });
  }
  return { topics, issues };
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
