import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { operations, type OperationCatalog, type OperationSpec, type requestSchemas } from '@gantry/contract';
import { requireScope } from '../middleware/auth.js';
import { operationInput } from './operation-input.js';
import type { SafeParser } from './validate.js';

/** The operations Express serves (the stream is the HTTP server's upgrade handler). */
export type HttpOperationId = { [K in keyof OperationCatalog]: OperationCatalog[K] extends { transport: 'websocket' } ? never : K }[keyof OperationCatalog];

type Output<S> = S extends z.ZodType ? z.output<S> : never;
type HeadersOf<O> = O extends { headers: infer H } ? H : Record<never, never>;

/**
 * A bound handler's input, typed from its catalog entry: only the parts the operation declares,
 * each parsed with the entry's schema on its first read (a bad one throws the problem the API
 * answers: 404 for a malformed path id, 422 VALIDATION_FAILED for the query or body, 400 for a
 * header).
 */
type BoundInput<O, Body = never> = (O extends { pathParams: infer P } ? { params(): { [K in keyof P]: Output<P[K]> } } : unknown) &
  (O extends { query: infer Q } ? { query(): Output<Q> } : unknown) &
  ([Body] extends [never]
    ? O extends { body: { schema: infer N extends keyof typeof requestSchemas } }
      ? { body(): Output<(typeof requestSchemas)[N]> }
      : unknown
    : { body(): Body }) &
  (keyof HeadersOf<O> extends never ? unknown : { header<H extends keyof HeadersOf<O> & string>(name: H): Output<HeadersOf<O>[H] extends { schema: infer S } ? S : never> | undefined });

export type BoundHandler<Id extends HttpOperationId, Body = never> = (req: Request, res: Response, input: BoundInput<OperationCatalog[Id], Body>, next: NextFunction) => void | Promise<void>;

export interface BindOptions<B> {
  /** Handlers run after the scope check and before the handler (e.g. the /metrics token). */
  before?: RequestHandler[];
  /**
   * Parse the body with this instead of the catalog's schema: a batch checks its envelope, then each
   * job by index; a job body goes through `submitJobParser`, the catalog's schema without its copy of the workflow.
   */
  body?: SafeParser<B>;
}

/** What each router bound, and below which mount: per router, so each app built in a process counts its own. */
const boundOn = new WeakMap<Router, { mount: string; operationIds: string[] }>();

/** Express's path form of a catalog path below `mount`: `/api/v1/tenants/{tenant}` under `/api/v1/tenants` is `/:tenant`. */
function routePath(op: OperationSpec, mount: string): string {
  if (op.path !== mount && !op.path.startsWith(`${mount}/`)) throw new Error(`${op.operationId}: ${op.path} is not below the router's mount ${mount}`);
  return op.path.slice(mount.length).replace(/\{([A-Za-z0-9_]+)\}/g, ':$1') || '/';
}

/**
 * Registers an operation of the contract's catalog on a router mounted at `mount`, all from its
 * entry: method and path; the scope check; a JSON body's media type (415); and the handler's typed
 * input, parsed with the entry's schemas. So the route, its parsing and the OpenAPI document cannot
 * disagree. An unknown id or a path outside the mount stops the API at start.
 */
export function bindOperation<Id extends HttpOperationId, B = never>(
  router: Router,
  mount: string,
  operationId: Id,
  handler: BoundHandler<Id, B>,
  options: BindOptions<B> = {},
): void {
  const op = operations.find((o) => o.operationId === operationId);
  if (!op || op.transport === 'websocket') throw new Error(`no HTTP operation ${operationId} in the contract's catalog`);
  const input = operationInput(op, options.body);
  const guards = op.scope === 'public' ? [] : [requireScope(op.scope)];
  router[op.method](routePath(op, mount), ...guards, ...(options.before ?? []), (req: Request, res: Response, next: NextFunction) => {
    input.checkMediaType(req);
    return handler(req, res, input.reader(req) as BoundInput<OperationCatalog[Id], B>, next);
  });
  const prior = boundOn.get(router);
  if (prior && prior.mount !== mount) throw new Error(`${operationId}: bound below ${mount}, the router's other operations below ${prior.mount}`);
  boundOn.set(router, { mount, operationIds: [...(prior?.operationIds ?? []), op.operationId] });
}

/**
 * Mounts a router of bound operations on `parent` (itself mounted at `at`) where the catalog's paths
 * put them, so a route is served exactly at the path the document names.
 */
export function mountBound(parent: { use(path: string, router: Router): unknown }, at: string, router: Router): void {
  const bound = boundOn.get(router);
  if (!bound) throw new Error('mountBound: the router binds no operation of the catalog');
  if (bound.mount !== at && !bound.mount.startsWith(`${at}/`)) throw new Error(`mountBound: ${bound.operationIds.join(', ')} are bound below ${bound.mount}, not below ${at}`);
  parent.use(bound.mount.slice(at.length) || '/', router);
}

/**
 * At start: every HTTP operation of the catalog is bound exactly once on the given routers (the
 * ones the app mounts), or the API stops naming what is missing or bound twice.
 */
export function assertCatalogBound(routers: readonly Router[]): void {
  const bound = routers.flatMap((r) => boundOn.get(r)?.operationIds ?? []);
  const expected = operations.filter((o) => o.transport !== 'websocket').map((o) => o.operationId);
  const missing = expected.filter((id) => !bound.includes(id));
  const twice = [...new Set(bound.filter((id, i) => bound.indexOf(id) !== i))];
  if (missing.length > 0 || twice.length > 0) {
    throw new Error(`the API does not bind the contract's catalog exactly once: not bound [${missing.join(', ')}], bound twice [${twice.join(', ')}]`);
  }
}
