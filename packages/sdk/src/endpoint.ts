import { ROUTES, routePath, type OperationId, type PathParamArgs } from '@gantry/contract/zod-free';

/** Where a call goes: an operation's method and path, both from the contract's route table. */
export interface Endpoint {
  /** Upper case, as fetch wants it (it only normalizes some methods itself; not PATCH). */
  method: string;
  /** The path with its parameters filled in, URL-encoded. */
  path: string;
}

/**
 * The endpoint of an operation: `endpoint('cancelJob', { id })` is `POST /api/v1/jobs/<id>/cancel`.
 * The route table (`@gantry/contract/zod-free`) is the one place a method or path is written, so
 * a renamed path is one change; the compiler checks the parameters against the path.
 */
export function endpoint<Id extends OperationId>(id: Id, ...params: PathParamArgs<Id>): Endpoint {
  return { method: ROUTES[id].method.toUpperCase(), path: routePath(id, ...params) };
}
