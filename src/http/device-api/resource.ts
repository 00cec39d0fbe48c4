/**
 * What a path of the device API resolves to: the methods it takes and how it answers them.
 * OPTIONS is always allowed and answered by the router; HEAD is not offered (the device lists
 * only GET, PUT and OPTIONS, M-EZ p=114), so it gets 405 like any other method.
 */
export type ApiMethod = 'GET' | 'PUT';

export interface Resource {
  readonly methods: readonly ApiMethod[];
  /** The 200 body of a GET. */
  get(): unknown;
  /** Applies a checked `{"value": n}` and returns the 200 body; present when PUT is allowed. */
  put?(value: number): unknown;
}

/** The Allow header of a resource. */
export function allowHeader(resource: Resource): string {
  return [...resource.methods, 'OPTIONS'].join(', ');
}
