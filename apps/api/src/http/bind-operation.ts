import type { RequestHandler, Router } from 'express';
import { operations, type OperationSpec } from '@gantry/contract';
import { requireScope } from '../middleware/auth.js';

/** Express's path form of a catalog path below `mount`: `/api/v1/tenants/{tenant}` under `/api/v1/tenants` is `/:tenant`. */
function routePath(op: OperationSpec, mount: string): string {
  if (op.path !== mount && !op.path.startsWith(`${mount}/`)) throw new Error(`${op.operationId}: ${op.path} is not below the router's mount ${mount}`);
  return op.path.slice(mount.length).replace(/\{([A-Za-z0-9_]+)\}/g, ':$1') || '/';
}

/**
 * Registers an operation of the contract's catalog on a router mounted at `mount`: its method and
 * path, and its scope checked before the handlers, all from the catalog, so the route and the
 * OpenAPI document cannot disagree on them. An unknown id or a path outside the mount stops the
 * API at start.
 */
export function bindOperation(router: Router, mount: string, operationId: string, ...handlers: RequestHandler[]): void {
  const op = operations.find((o) => o.operationId === operationId);
  if (!op || op.transport === 'websocket') throw new Error(`no HTTP operation ${operationId} in the contract's catalog`);
  const guards = op.scope === 'public' ? [] : [requireScope(op.scope)];
  router[op.method](routePath(op, mount), ...guards, ...handlers);
}
