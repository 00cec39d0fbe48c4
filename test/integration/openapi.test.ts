/**
 * #15 item 2, "Done when": every response of /sim/v1 has a real schema in GET
 * /sim/v1/openapi.json, the live answers of the status routes parse with the contract schemas
 * the document was made from, and the typed client (src/testing/client.ts) calls every JSON GET
 * route but the listed ones, with the types those same schemas infer.
 *
 * One device of the default profile, built through src/app with every service on (HTTP,
 * Modbus/TCP, SNMP, MQTT with its embedded broker), all on port 0.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { Emulator } from '../../src/app/emulator.js';
import { configAppliedBodySchema } from '../../src/config/contract.js';
import { loadProfile } from '../../src/config/load.js';
import { accessibleIpsSchema, baseAddressesSchema, mapRowSchema, modbusStatusSchema } from '../../src/modbus/contract.js';
import { mqttLogEntrySchema, mqttStatusDocumentSchema, mqttTopicSchema } from '../../src/mqtt/contract.js';
import { fieldDeviceViewSchema, serialStatusDocumentSchema } from '../../src/serial/contract.js';
import { runResultSchema, runStatusSchema, runSummarySchema, type ScenarioDocument } from '../../src/sim/contract.js';
import { snmpStatusDocumentSchema } from '../../src/snmp/contract.js';
import { CLIENT_ROUTES, SCENARIO_ROUTES, SimClient } from '../../src/testing/index.js';

const PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const free = { host: '127.0.0.1', port: 0 };

type JsonSchema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema; 'x-event-data'?: JsonSchema }> }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * GET routes with a JSON answer that the client does not call, each with its reason. Anything
 * else the device serves must have a client method (CLIENT_ROUTES, SCENARIO_ROUTES).
 */
const NOT_IN_CLIENT: Record<string, string> = {
  // The document itself: a test reads it with fetch, as here.
  'get /sim/v1/openapi.json': 'the API description, not device state',
  // Accounts and sessions: the web console's business (docs/security.md), not a tester's.
  'get /sim/v1/accounts': 'accounts are administered in the web console',
  'get /sim/v1/whoami': 'the web console\'s session check',
};

/** Responses that are open objects by nature, each with its reason. */
const OPEN_DOCUMENTS = [
  // A channel's attributes depend on its type and mode (docs/attributes.md): the schema names the common keys.
  'GET /sim/v1/slots/{slot}/channels/{index} ',
  'PUT /sim/v1/slots/{slot}/channels/{index} ',
  'PUT /sim/v1/slots/{slot}/channels/{index}/attributes/{attribute} ',
];

/** Why a JSON schema says nothing about its document, or null when it does (recursing into unions and arrays). */
function placeholder(schema: JsonSchema | undefined, where: string): string | null {
  if (!schema || Object.keys(schema).length === 0) return `${where}: no schema ({})`;
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const branches = schema[key] as JsonSchema[] | undefined;
    if (branches) return branches.map((b, i) => placeholder(b, `${where}.${key}[${i}]`)).find((p) => p !== null) ?? null;
  }
  if (schema.items) return placeholder(schema.items as JsonSchema, `${where}.items`);
  if ('$ref' in schema || 'enum' in schema || 'const' in schema) return null;
  // An open object documents only part of its document (the old `{enabled}` placeholders were
  // such); it passes where its other keys are open by nature (OPEN_DOCUMENTS).
  if ('properties' in schema) return schema.additionalProperties === false || OPEN_DOCUMENTS.some((p) => where.startsWith(p)) ? null : `${where}: an open object ({${Object.keys(schema.properties as object).join(', ')}, ...})`;
  if (schema.type === undefined) return `${where}: no type, properties or items`;
  if (schema.type === 'object') return `${where}: a bare {type: object}`;
  if (schema.type === 'array') return `${where}: an array of anything`;
  return null;
}

describe('GET /sim/v1/openapi.json and the typed client', () => {
  let device: Emulator;
  let client: SimClient;
  let doc: OpenApi;

  beforeAll(async () => {
    const profile = await loadProfile(PROFILE);
    const logger = pino({ level: 'silent' });
    device = await Emulator.start({ profile, profileFile: PROFILE, logger, clock: 'manual', http: free, modbus: free, snmp: free, mqtt: 'embedded', broker: free });
    client = new SimClient(`http://${device.addresses.http}`);
    doc = (await (await fetch(`${client.url}/sim/v1/openapi.json`)).json()) as OpenApi;
  });
  afterAll(() => device?.stop());

  it('has a real schema for every response: properties, items, a union, a $ref, an enum or a constant, never {} or a bare object', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          for (const [media, content] of Object.entries(response.content ?? {})) {
            const where = `${method.toUpperCase()} ${path} ${status} ${media}`;
            // A stream's body is text; what each event's data holds is x-event-data.
            const problem = media === 'text/event-stream' ? placeholder(content['x-event-data'], `${where} x-event-data`) : placeholder(content.schema, where);
            if (problem) problems.push(problem);
            checked += 1;
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(60);
    // The scenario document is documented by its schema, not as {} (the route checks only that it is an object).
    const scenario = (doc.paths['/sim/v1/scenarios']!.post as unknown as { requestBody: { content: Record<string, { schema: { properties: object; required: string[] } }> } }).requestBody.content['application/json']!.schema;
    expect(Object.keys(scenario.properties)).toEqual(expect.arrayContaining(['name', 'steps']));
    expect(scenario.required).toContain('steps');
  });

  it('answers the status routes with documents their contract schemas parse', async () => {
    expect(serialStatusDocumentSchema.parse(await client.serial())).toMatchObject({ enabled: true, port: null });
    expect(z.array(fieldDeviceViewSchema).parse(await client.fieldDevices())).toEqual([]);
    expect(modbusStatusSchema.parse(await client.modbus())).toMatchObject({ enabled: true, address: device.addresses.modbus, connections: 0 });
    expect(z.array(mapRowSchema).parse(await client.modbusMap()).length).toBeGreaterThan(0);
    baseAddressesSchema.parse(await client.modbusBaseAddresses());
    accessibleIpsSchema.parse(await client.accessibleIps());
    expect(mqttStatusDocumentSchema.parse(await client.mqtt())).toMatchObject({ enabled: true, broker: device.addresses.broker });
    expect(z.array(mqttTopicSchema).parse(await client.mqttTopics()).length).toBeGreaterThan(0);
    z.array(mqttLogEntrySchema).parse(await client.mqttLog());
    expect(snmpStatusDocumentSchema.parse(await client.snmp())).toMatchObject({ enabled: true, address: device.addresses.snmp });
    // A run goes queued -> running -> passed; the list has its summary, the run its steps.
    const submitted = runResultSchema.parse(await client.runScenario({ name: 'contract', steps: [{ log: 'one' }, { log: 'two' }] }));
    expect(runStatusSchema.options).toContain(submitted.status);
    const done = runResultSchema.parse(await client.waitForScenario(submitted.id));
    expect(done).toMatchObject({ status: 'passed', steps: [{ status: 'passed' }, { status: 'passed' }] });
    expect(z.array(runSummarySchema).parse(await client.scenarios())).toContainEqual(expect.objectContaining({ id: submitted.id, stepCounts: expect.objectContaining({ total: 2, passed: 2 }) }));
    runResultSchema.parse(await client.abortScenario(submitted.id));
    // The config's answer to a whole-config change is documented; GET returns the profile itself.
    expect(configAppliedBodySchema.shape.config.parse(await client.config())).toBeDefined();
  });

  it('calls every JSON GET route of the document but the listed ones, and only routes the document has', () => {
    const called = new Set([...CLIENT_ROUTES, ...SCENARIO_ROUTES].map(([method, path]) => `${method} ${path}`));
    const gets = Object.entries(doc.paths).flatMap(([path, operations]) => (operations.get?.responses['200']?.content?.['application/json'] ? [`get ${path}`] : []));
    expect(gets.filter((route) => !called.has(route) && !(route in NOT_IN_CLIENT))).toEqual([]);
    expect(Object.keys(NOT_IN_CLIENT).filter((route) => !gets.includes(route) || called.has(route))).toEqual([]);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)));
    expect([...called].filter((route) => !documented.has(route))).toEqual([]);
  });

  it('types each answer as the route\'s response schema infers it (checked by tsc: npm run lint)', () => {
    type Answer<M extends keyof SimClient> = SimClient[M] extends (...args: never[]) => Promise<infer T> ? T : never;
    expectTypeOf<Answer<'serial'>>().toEqualTypeOf<z.infer<typeof serialStatusDocumentSchema>>();
    expectTypeOf<Answer<'fieldDevices'>>().toEqualTypeOf<z.infer<typeof fieldDeviceViewSchema>[]>();
    expectTypeOf<Answer<'fieldDevice'>>().toEqualTypeOf<z.infer<typeof fieldDeviceViewSchema>>();
    expectTypeOf<Answer<'setFieldDeviceFault'>>().toEqualTypeOf<z.infer<typeof fieldDeviceViewSchema>>();
    expectTypeOf<Answer<'modbus'>>().toEqualTypeOf<z.infer<typeof modbusStatusSchema>>();
    expectTypeOf<Answer<'modbusMap'>>().toEqualTypeOf<z.infer<typeof mapRowSchema>[]>();
    expectTypeOf<Answer<'modbusBaseAddresses'>>().toEqualTypeOf<z.infer<typeof baseAddressesSchema>>();
    expectTypeOf<Answer<'accessibleIps'>>().toEqualTypeOf<z.infer<typeof accessibleIpsSchema>>();
    expectTypeOf<Answer<'mqtt'>>().toEqualTypeOf<z.infer<typeof mqttStatusDocumentSchema>>();
    expectTypeOf<Answer<'mqttTopics'>>().toEqualTypeOf<z.infer<typeof mqttTopicSchema>[]>();
    expectTypeOf<Answer<'mqttLog'>>().toEqualTypeOf<z.infer<typeof mqttLogEntrySchema>[]>();
    expectTypeOf<Answer<'snmp'>>().toEqualTypeOf<z.infer<typeof snmpStatusDocumentSchema>>();
    expectTypeOf<Answer<'scenario'>>().toEqualTypeOf<z.infer<typeof runResultSchema>>();
    expectTypeOf<Answer<'runScenario'>>().toEqualTypeOf<z.infer<typeof runResultSchema>>();
    expectTypeOf<Answer<'abortScenario'>>().toEqualTypeOf<z.infer<typeof runResultSchema>>();
    expectTypeOf<Answer<'scenarios'>>().toEqualTypeOf<z.infer<typeof runSummarySchema>[]>();
    // The client knows every run state, `queued` included (it did not before #15).
    expectTypeOf<Answer<'scenario'>['status']>().toEqualTypeOf<'queued' | 'running' | 'passed' | 'failed' | 'aborted'>();
    // A scenario is submitted as the document schema takes it.
    expectTypeOf<Parameters<SimClient['runScenario']>[0]>().toEqualTypeOf<ScenarioDocument>();
  });
});
