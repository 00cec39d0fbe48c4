/**
 * /sim/v1/openapi.json, generated from the route table: the same zod schemas that validate a
 * request describe it here (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 expects).
 * Request schemas are rendered as input (defaults make a field optional), responses as output.
 */
import { STATUS_CODES } from 'node:http';
import * as z from 'zod';
import { accessOf } from './access.js';
import { errorBodySchema } from './errors.js';
import { route, type Route } from './route.js';

export const API_PREFIX = '/sim/v1';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/slots/:slot/channels/:index` → `/sim/v1/slots/{slot}/channels/{index}`. */
export function openApiPath(path: string): string {
  return API_PREFIX + path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = jsonSchema(field as z.ZodType, 'input');
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success, description, schema: rest };
  });
}

function errorStatuses(r: Route): number[] {
  const statuses = new Set<number>(r.errors ?? []);
  if (r.params) [400, 404].forEach((s) => statuses.add(s));
  if (r.query) statuses.add(400);
  if (r.body) [400, 413, 415].forEach((s) => statuses.add(s));
  // With accounts enabled (docs/security.md).
  if (accessOf(r) !== 'open') [401, 403].forEach((s) => statuses.add(s));
  return [...statuses].sort((a, b) => a - b);
}

/** Every PATCH here is a JSON merge patch (RFC 7396), sent as merge-patch+json or plain JSON. */
function requestMedia(method: Route['method'], body: z.ZodType): Record<string, { schema: object }> {
  const schema = { schema: jsonSchema(body, 'input') };
  return method === 'patch' ? { 'application/merge-patch+json': schema, 'application/json': schema } : { 'application/json': schema };
}

function operation(r: Route): JsonSchema {
  const ok = r.stream
    ? { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': r.response ? jsonSchema(r.response, 'output') : undefined } } }
    : { description: 'OK', content: { 'application/json': { schema: r.response ? jsonSchema(r.response, 'output') : {} } } };
  const responses: JsonSchema = { 200: ok };
  for (const status of errorStatuses(r)) {
    responses[status] = { description: STATUS_CODES[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    'x-required-role': accessOf(r),
    parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
    ...(r.body ? { requestBody: { required: true, content: requestMedia(r.method, r.documentedBody ?? r.body) } } : {}),
    responses,
  };
}

export function buildOpenApi(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  for (const r of routes) {
    const path = openApiPath(r.path);
    paths[path] = { ...paths[path], [r.method]: operation(r) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'iothinx-sim emulator API',
      version: '1.0.0',
      description: 'Field-side control of a virtual Moxa ioThinx 4510: what a tester does to the device. Errors are {statusCode, code, error, message, path}.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: { schemas: { Error: jsonSchema(errorBodySchema, 'output') } },
  };
}

/** The document's outline: the paths' operations are JSON Schema 2020-12 and OpenAPI 3.1 objects, not restated here. */
const openApiDocumentSchema = z.strictObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string(), description: z.string() }),
  jsonSchemaDialect: z.string(),
  paths: z.record(z.string(), z.record(z.string(), z.looseObject({ operationId: z.string(), summary: z.string() }))).meta({ description: 'Per path, per method: an OpenAPI 3.1 operation.' }),
  components: z.looseObject({ schemas: z.record(z.string(), z.looseObject({})) }),
});

/** The route serving the document; it describes itself and every route given. */
export function openApiRoute(routes: () => readonly Route[]): Route {
  let doc: JsonSchema | undefined;
  return route({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    response: openApiDocumentSchema,
    handle: () => (doc ??= buildOpenApi(routes())),
  });
}
