/**
 * Routes as data. Each route names its method, path, zod schemas and handler in one place; the
 * same table registers the express handlers (which validate with those schemas) and generates
 * /sim/v1/openapi.json, so a route cannot be served undocumented or validated differently from
 * its documentation.
 *
 *   request ─► params (zod) ─► query (zod) ─► body (zod) ─► handle() ─► JSON 200
 *                  └──────────────┴──────────────┴── any failure ─► errors.ts (one middleware)
 */
import type { Express, Request, RequestHandler, Response } from 'express';
import type * as z from 'zod';
import { SimError } from '../errors.js';
import { badRequest } from './errors.js';

export type Method = 'get' | 'put' | 'patch' | 'post' | 'delete';

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

interface RouteInfo<P, Q, B> {
  method: Method;
  /** Express path below the API prefix, e.g. `/slots/:slot/channels/:index`. */
  path: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Documents the body in place of `body`, for a handler that validates it further itself (POST
   * /scenarios reports every problem at once, after the queue check); `body` still runs first.
   */
  documentedBody?: z.ZodType;
  /** Documents the 200 body; not enforced at run time. */
  response?: z.ZodType;
  /** The route answers with text/event-stream and writes the response itself. */
  stream?: boolean;
  /** Error statuses beyond those implied by params (400, 404) and a body (400, 413, 415). */
  errors?: number[];
}

export interface RouteSpec<P, Q, B> extends RouteInfo<P, Q, B> {
  /** Returns the JSON body, or undefined when it wrote the response itself. */
  handle(input: { params: Parsed<P>; query: Parsed<Q>; body: Parsed<B>; req: Request; res: Response }): unknown;
}

export interface Route extends RouteInfo<z.ZodObject, z.ZodObject, z.ZodType> {
  run(req: Request, res: Response): Promise<void>;
}

function parse<S extends z.ZodType | undefined>(schema: S, input: unknown, part: 'body' | 'params' | 'query'): Parsed<S> {
  if (!schema) return undefined as Parsed<S>;
  const result = schema.safeParse(input);
  if (!result.success) throw badRequest(result.error, part);
  return result.data as Parsed<S>;
}

export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
  const { handle, ...info } = spec;
  return {
    ...(info as RouteInfo<z.ZodObject, z.ZodObject, z.ZodType>),
    async run(req, res) {
      // An absent schema is typed `undefined` itself, so Parsed<P | undefined> is Parsed<P>.
      const params = parse(spec.params, req.params, 'params') as Parsed<P>;
      const query = parse(spec.query, req.query, 'query') as Parsed<Q>;
      const body = parse(spec.body, req.body, 'body') as Parsed<B>;
      const result = await handle({ params, query, body, req, res });
      if (result !== undefined) res.json(result);
    },
  };
}

/**
 * Registers the routes under `prefix`, then answers other methods on the same paths with 405
 * and an Allow header (OPTIONS gets 204 with Allow).
 */
export function mountRoutes(app: Express, prefix: string, routes: readonly Route[]): void {
  const methods = new Map<string, Set<string>>();
  for (const r of routes) {
    const path = prefix + r.path;
    app[r.method](path, (req, res) => r.run(req, res));
    const allowed = methods.get(path) ?? new Set<string>();
    allowed.add(r.method.toUpperCase());
    if (r.method === 'get') allowed.add('HEAD');
    methods.set(path, allowed);
  }
  for (const [path, allowed] of methods) {
    const allow = [...allowed, 'OPTIONS'].join(', ');
    // Named: tests tell these fallbacks from real routes by the handler's name.
    const methodNotAllowed: RequestHandler = (req, res, next) => {
      res.setHeader('Allow', allow);
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
      next(new SimError('HTTP_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`));
    };
    app.all(path, methodNotAllowed);
  }
}
