/**
 * One error base for the whole emulator, with a closed set of codes grouped by area.
 * Every code is listed in docs/errors.md; test/unit/errors.test.ts keeps the two in step.
 */
export const ERROR_CODES = {
  // Profiles and the running config.
  PROFILE_INVALID: 'The profile does not match the schema or a cross-field rule.',
  PROFILE_READ_FAILED: 'The profile file could not be read or parsed as YAML/JSON.',
  CONFIG_WRITE_FAILED: 'The running config could not be written to the data dir.',
  // The device model.
  DEVICE_UNKNOWN_SLOT: 'No module sits in the slot named.',
  DEVICE_UNKNOWN_CHANNEL: 'The module has no channel with that index.',
  DEVICE_UNKNOWN_ATTRIBUTE: 'The channel has no attribute of that name.',
  DEVICE_READ_ONLY: 'The attribute is read-only.',
  DEVICE_VALUE_OUT_OF_RANGE: 'The value is outside the range the device accepts.',
  DEVICE_NOT_APPLICABLE: 'The action does not apply to this channel in its current mode or type.',
  DEVICE_MODULE_REMOVED: 'The module is removed from the rail (an injected fault): its points do not answer.',
  DEVICE_MODULE_FAILED: 'The module reports a failure (an injected fault): its points do not answer.',
  FAULT_UNKNOWN: 'No active fault has that id.',
  SCENARIO_UNKNOWN: 'No scenario run has that id (GET /sim/v1/scenarios lists the kept runs).',
  SCENARIO_QUEUE_FULL: 'limits.scenarios.maxQueued runs (default 16) already wait; submit again once one has started.',
  // Fleets (many devices in one process, /fleet/v1).
  FLEET_DEVICE_UNKNOWN: 'No running device of the fleet has that name (GET /fleet/v1/devices lists them).',
  FLEET_DEVICE_EXISTS: 'A device with that index, or with that name, serial number or MAC, already runs or is starting in the fleet.',
  FLEET_FULL: 'The fleet already runs 10 000 devices, the most one fleet holds.',
  // The clock.
  CLOCK_NOT_MANUAL: 'Time can be advanced only when the device runs with --clock manual.',
  // HTTP.
  HTTP_BAD_REQUEST: 'The request body or parameters are invalid.',
  HTTP_NOT_FOUND: 'No such resource.',
  HTTP_METHOD_NOT_ALLOWED: 'The resource exists but does not accept this method.',
  HTTP_PAYLOAD_TOO_LARGE: 'The request body is larger than limits.http.maxBodyBytes (default 1 MiB).',
  HTTP_UNSUPPORTED_MEDIA_TYPE: 'The request body is not JSON (Content-Type: application/json).',
  HTTP_INTERNAL: 'An unexpected error; the emulator log has the details.',
  HTTP_HOST_NOT_ALLOWED: 'The Host header names a host the emulator does not serve (DNS rebinding guard; see limits.http.allowedHosts).',
  HTTP_CROSS_SITE: 'A state-changing request without Content-Type: application/json and not from the same origin (cross-site request forgery guard).',
  // Accounts and TLS.
  AUTH_REQUIRED: 'Accounts are enabled and the request carries no valid credentials (Basic or a session cookie).',
  AUTH_FORBIDDEN: 'The account is valid but its role is too low for this request.',
  AUTH_LOCKED_OUT: 'Too many failed logins from this address or for this account name (limits.login, counted before the password is checked); wait for the time in Retry-After. Refused even with the right password.',
  TLS_CERT_INVALID: 'The HTTPS certificate or key file is missing, unreadable, not PEM, or the two do not match.',
  // MQTT (the client's lastError, the embedded broker, write topics).
  MQTT_CONNECT_FAILED: 'The MQTT broker could not be reached or refused the connection; the client retries with backoff.',
  MQTT_AUTH_FAILED: 'The MQTT broker refused the username/password or client (CONNACK 4 or 5); the client retries with backoff.',
  MQTT_TLS_FAILED: 'The TLS handshake with the MQTT broker failed, e.g. its certificate is not signed by the configured CA.',
  MQTT_CONNECTION_LOST: 'The connection to the MQTT broker was lost; QoS 1/2 messages queue until it is back.',
  MQTT_TLS_CONFIG: 'An MQTT TLS file (mqtt.tls.ca, cert or key) is missing or unreadable.',
  MQTT_BAD_WRITE: 'A message on a write topic was refused: unknown topic, not JSON {"value": n}, read-only or out of range.',
  MQTT_BROKER_LISTEN_FAILED: 'The embedded MQTT broker could not listen on its address (in use, or not allowed).',
  // SNMP.
  SNMP_LISTEN_FAILED: 'The SNMP agent could not listen on its address (in use, not on this host, or not allowed).',
  // Serial port and Modbus RTU master.
  SERIAL_PORT_INVALID: 'serial.port is not a device path, tcp://host:port or virtual:NAME.',
  SERIAL_PORT_FAILED: 'The serial port could not be opened or went away; the master reports it and retries with backoff.',
  // Command line.
  CLI_USAGE: 'The command line is invalid.',
  CLI_LISTEN_FAILED: 'A listener of start or fleet could not bind its address (in use, not allowed, or not on this host); the message names the service and the flag that moves it.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SimErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and API bodies, e.g. the zod path or the ioName. */
  context?: Record<string, unknown>;
}

export class SimError extends Error {
  override readonly name = 'SimError';
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

export function isSimError(error: unknown, code?: ErrorCode): error is SimError {
  return error instanceof SimError && (code === undefined || error.code === code);
}
