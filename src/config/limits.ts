/**
 * Bounds on what one client can make the emulator hold or do (issue #14). Every input a client
 * controls has one: connections, bytes buffered per connection, time to send a request, queued
 * jobs, response sizes, login attempts, log lines. Past a bound the client is refused and the
 * refusal is counted in `iothinx_limit_refusals_total{limit}` (src/device/refusals.ts); the
 * defaults are listed with their reasons in docs/security.md. The profile's `limits:` section.
 */
import * as z from 'zod';

const ms = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);
const count = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);

export const httpLimitsSchema = z.strictObject({
  /** Open HTTP(S) connections, all peers together. */
  maxConnections: count(1, 65_535, 512),
  /** Open HTTP(S) connections from one peer address. */
  maxConnectionsPerHost: count(1, 65_535, 128),
  /** Time a client has to send the request headers. */
  headersTimeoutMs: ms(1000, 600_000, 10_000),
  /** Time a client has to send a whole request (headers and body). */
  requestTimeoutMs: ms(1000, 600_000, 30_000),
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: ms(100, 600_000, 5000),
  /** Request body size (JSON, profiles, scenarios). */
  maxBodyBytes: count(1024, 64 * 1024 * 1024, 1024 * 1024),
  /** Bytes buffered for one event-stream (SSE) subscriber that does not read; past it the stream is closed. */
  maxSseBufferBytes: count(4096, 64 * 1024 * 1024, 256 * 1024),
  /**
   * Host header names served besides IP literals, `localhost` and the listen host, so that a
   * DNS-rebinding page cannot reach the API. Add the names a proxy or container gives the device;
   * `*` accepts any (not recommended).
   */
  allowedHosts: z.array(z.string().min(1).max(253)).max(64).default([]),
});

export const modbusLimitsSchema = z.strictObject({
  /** Reply bytes queued for a client that does not read them; past it the server stops reading that socket until it drains. */
  maxPendingReplyBytes: count(1024, 64 * 1024 * 1024, 64 * 1024),
  /** A request frame that has begun must be complete within this, or the connection is closed. */
  frameTimeoutMs: ms(100, 600_000, 5000),
});

export const scenarioLimitsSchema = z.strictObject({
  /** Scenario runs waiting behind the running one; past it POST /sim/v1/scenarios answers 429. */
  maxQueued: count(1, 10_000, 16),
  /** Finished runs kept for GET /sim/v1/scenarios (oldest forgotten first). */
  maxKept: count(1, 10_000, 32),
});

export const loginLimitsSchema = z.strictObject({
  /** Failed logins from one address in `windowS` before further attempts get 429. */
  maxFailuresPerAddress: count(1, 100_000, 10),
  /** Failed logins for one account name in `windowS` before further attempts get 429. */
  maxFailuresPerAccount: count(1, 100_000, 20),
  windowS: count(1, 86_400, 60),
  /** Failed-login log lines per minute; the rest are counted, not logged. */
  failureLogsPerMinute: count(0, 100_000, 10),
  /**
   * Password checks waiting or running at once, from all addresses together (each is one scrypt
   * on the one deriving thread); past it a login gets 429. Bounds the queue that many addresses,
   * each within its own failure budget, could build together.
   */
  maxChecksInFlight: count(1, 10_000, 32),
});

export const brokerLimitsSchema = z.strictObject({
  /** Largest MQTT packet the embedded broker accepts; a larger one closes that client. */
  maxPacketBytes: count(1024, 256 * 1024 * 1024, 1024 * 1024),
  /** Clients connected to the embedded broker at once. */
  maxClients: count(1, 65_535, 256),
  /**
   * Topics the embedded broker keeps a retained message for. A retained message on a new topic
   * past it is delivered but not kept; one replacing or clearing a kept topic always is. The
   * device itself retains about 160 (one per enabled topic, and its status).
   */
  maxRetained: count(1, 10_000_000, 10_000),
});

export const snmpLimitsSchema = z.strictObject({
  /**
   * Largest SNMP response (RFC 3416 §4.2.3: a GETBULK answer is cut to what fits). 1472 bytes fit
   * one Ethernet frame without IP fragmentation; a v3 manager's smaller msgMaxSize wins.
   */
  maxResponseBytes: count(484, 65_507, 1472),
  /**
   * SNMPv3 messages refused by the USM checks (wrong key, unknown user, …; not a discovery) that
   * are journaled a minute; the rest are counted (`snmp_usm_log`), not journaled, so a sender
   * without a key cannot push the journal's real entries out. usmStats counts every one.
   */
  failureLogsPerMinute: count(0, 100_000, 10),
});

export const limitsSchema = z.strictObject({
  http: httpLimitsSchema.prefault({}),
  modbus: modbusLimitsSchema.prefault({}),
  scenarios: scenarioLimitsSchema.prefault({}),
  login: loginLimitsSchema.prefault({}),
  broker: brokerLimitsSchema.prefault({}),
  snmp: snmpLimitsSchema.prefault({}),
});

export type Limits = z.infer<typeof limitsSchema>;
