/**
 * The emulator itself: health (liveness, and readiness of every service) and the clock (and
 * advancing a manual one).
 */
import type { Clock, ManualClock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { SimError } from '../errors.js';
import { route, type Route } from './route.js';
import { advanceBodySchema, advanceResponseSchema, clockSchema, healthSchema, readinessSchema, type Readiness } from './schemas.js';

function isManual(clock: Clock): clock is ManualClock {
  return clock.kind === 'manual';
}

/** A readiness answer: its document, with 503 until it says ready (a probe reads the status). */
export function readinessAnswer<T extends { status: string }>(res: { status(code: number): unknown }, state: T): T {
  if (state.status !== 'ready') res.status(503);
  return state;
}

/**
 * GET /clock and POST /clock/advance over one clock: a device's, or the one a fleet's devices
 * share. `owner` names who runs on it in the 409 for a real clock.
 */
export function clockRoutes(clock: Clock, words: { owner: string; what: string; fires: string }): Route[] {
  return [
    route({
      method: 'get',
      path: '/clock',
      summary: `${words.what}: kind, wall time (ms since epoch) and monotonic ms since start.`,
      response: clockSchema,
      handle: () => ({ kind: clock.kind, now: clock.now(), monotonic: clock.monotonic() }),
    }),
    route({
      method: 'post',
      path: '/clock/advance',
      summary: `Moves a manual clock forward, ${words.fires}.`,
      description: `409 CLOCK_NOT_MANUAL unless ${words.owner} runs with --clock manual.`,
      body: advanceBodySchema,
      response: advanceResponseSchema,
      errors: [409],
      handle: ({ body }) => {
        if (!isManual(clock)) throw new SimError('CLOCK_NOT_MANUAL', `${words.owner} runs on the real clock; start it with --clock manual to advance time`);
        clock.advance(body.ms);
        return { now: clock.now(), monotonic: clock.monotonic() };
      },
    }),
  ];
}

export function simRoutes({ device, clock, readiness }: { device: Device; clock: Clock; readiness: () => Readiness }): Route[] {
  return [
    route({
      method: 'get',
      path: '/health',
      summary: 'Liveness, uptime, clock kind and the seq of the last change.',
      response: healthSchema,
      handle: () => ({ status: 'ok', uptime: device.uptimeSeconds(), clock: clock.kind, lastSeq: device.lastSeq }),
    }),
    route({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness: 200 once every service the device runs listens and its MQTT client (if on) is connected, else 503 with the same body.',
      description:
        'HTTP answers before MQTT and SNMP have started, and again while the MQTT client reconnects: a container HEALTHCHECK, a Kubernetes readinessProbe or a CI wait loop asks here (GET /health is liveness only).',
      response: readinessSchema,
      errors: [503],
      handle: ({ res }) => readinessAnswer(res, readiness()),
    }),
    ...clockRoutes(clock, { owner: 'the device', what: 'The device clock', fires: 'firing due timers (signals, filters, pulses) in order' }),
  ];
}
