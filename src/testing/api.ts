/**
 * The emulator API on fetch: one JSON request, and the event stream. SimClient (client.ts) and
 * its waitFor (wait.ts) both speak through it, so neither imports the other.
 *
 *   request ─► fetch /sim/v1/... ─► 2xx: JSON
 *                              └──► 4xx/5xx, unreachable, not JSON ─► SimClientError
 */
import { SimClientError } from './errors.js';

/** What `request` needs of an HTTP transport: the subset of fetch it uses. */
export type RequestTransport = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string | undefined },
) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;

export interface ApiOptions {
  /** Added to every request, e.g. an Authorization header when accounts are on. */
  headers?: Record<string, string>;
  /**
   * Carries `request` (not the event stream, which stays on fetch); default: fetch. A failure to
   * connect rejects as fetch does, with the system error as `cause`. `iothinx-sim ctl` passes
   * one on node:http (http-transport.ts): on Node 20 the first fetch of a process loads undici,
   * about twice the start-up of `node -e 0` (#19).
   */
  transport?: RequestTransport;
}

export class Api {
  /** `http://127.0.0.1:8080`, without /sim/v1. */
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly transport: RequestTransport;

  constructor(url: string, options: ApiOptions = {}) {
    this.url = url.replace(/\/+$/, '').replace(/\/sim\/v1$/, '');
    this.headers = options.headers ?? {};
    this.transport = options.transport ?? ((url, init) => fetch(url, init));
  }

  /** One request below /sim/v1; JSON in, JSON out, SimClientError on anything but 2xx (and the statuses in `alsoOk`, whose body is the answer too). */
  async request<T>(method: string, path: string, body?: unknown, alsoOk: readonly number[] = []): Promise<T> {
    const request = `${method.toUpperCase()} /sim/v1${path}`;
    let res: Awaited<ReturnType<RequestTransport>>;
    try {
      res = await this.transport(`${this.url}/sim/v1${path}`, {
        method: method.toUpperCase(),
        // JSON even without a body: a state-changing request without it is refused as cross-site (#14 point 12).
        headers: body === undefined && method.toUpperCase() === 'GET' ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new SimClientError(`${request}: cannot reach ${this.url} (${reason})`, { status: null, code: 'CLIENT_UNREACHABLE', path: null, request, cause: error });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch (error) {
      throw new SimClientError(`${request}: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, { status: res.status, code: 'CLIENT_BAD_RESPONSE', path: null, request, cause: error });
    }
    if (!res.ok && !alsoOk.includes(res.status)) {
      const e = (json ?? {}) as { code?: string; message?: string; path?: string | null };
      throw new SimClientError(`${request}: ${res.status} ${e.code ?? ''}: ${e.message ?? text}`.replace(/ {2}/, ' '), {
        status: res.status,
        code: e.code ?? `HTTP_${res.status}`,
        path: e.path ?? null,
        request,
      });
    }
    return json as T;
  }

  /** The event stream (GET /sim/v1/events) as a fetch Response, for callers that read it. */
  async events(ioNames: readonly string[], signal: AbortSignal): Promise<Response> {
    const q = ioNames.map((n) => `ioName=${encodeURIComponent(n)}`).join('&');
    const request = `GET /sim/v1/events${q ? `?${q}` : ''}`;
    const res = await fetch(`${this.url}/sim/v1/events${q ? `?${q}` : ''}`, { headers: { ...this.headers, accept: 'text/event-stream' }, signal }).catch((error: unknown) => {
      if (signal.aborted) throw error;
      throw new SimClientError(`${request}: cannot reach ${this.url} (${(error as Error).message})`, { status: null, code: 'CLIENT_UNREACHABLE', path: null, request, cause: error });
    });
    if (!res.ok || !res.body) {
      const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string; path?: string | null };
      throw new SimClientError(`${request}: ${res.status} ${e.code ?? ''}: ${e.message ?? ''}`, { status: res.status, code: e.code ?? `HTTP_${res.status}`, path: e.path ?? null, request });
    }
    return res;
  }
}
