import { Router, type Request } from 'express';
import { backendConfigSchema, deleteBackendQuerySchema, type BackendList, type BackendView } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { parseInput } from '../http/validate.js';
import { isOperator } from '../auth/tenant-access.js';
import { bindOperation } from '../http/bind-operation.js';
import { principalOf } from '../middleware/auth.js';
import { auditActor } from '../services/audit.js';
import {
  backendContext,
  createBackend,
  deleteBackend,
  getBackendView,
  listBackendViews,
  setDraining,
} from '../services/backends/index.js';
import { requireJson } from './require-json.js';

const MOUNT = '/api/v1/backends';

/** Backend URLs are internal addresses of the shared fleet: only operators see them. */
function forCaller(req: Request, view: BackendView): BackendView {
  if (isOperator(principalOf(req))) return view;
  const { url: _url, ...rest } = view;
  return rest;
}

function pathId(req: Request): string {
  const id = req.params.id;
  return typeof id === 'string' ? id : '';
}

/**
 * The GPU fleet: `GET /backends` and `GET /backends/{id}` (scope read); registering, draining,
 * undraining and deleting backends (scope operator: the fleet is shared by every tenant). See
 * docs/backends.md.
 */
export function backendsRouter(deps: ApiDeps): Router {
  const ctx = backendContext(deps);
  const router = Router();

  bindOperation(router, MOUNT, 'listBackends', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const body: BackendList = { items: (await listBackendViews(ctx)).map((v) => forCaller(req, v)) };
    res.json(body);
  });

  bindOperation(router, MOUNT, 'createBackend', requireJson, async (req, res) => {
    const input = parseInput(backendConfigSchema, req.body, 'backend');
    const view = await createBackend(ctx, input, auditActor(req));
    req.log.info({ backend: view.id, url: view.url, tags: view.tags }, 'backend registered');
    res.status(201).location(view.links.self).json(view);
  });

  bindOperation(router, MOUNT, 'getBackend', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(forCaller(req, await getBackendView(ctx, pathId(req))));
  });

  bindOperation(router, MOUNT, 'drainBackend', async (req, res) => {
    const view = await setDraining(ctx, pathId(req), true, auditActor(req));
    req.log.info({ backend: view.id, inFlight: view.inFlight }, 'backend draining');
    res.json(view);
  });

  bindOperation(router, MOUNT, 'undrainBackend', async (req, res) => {
    const view = await setDraining(ctx, pathId(req), false, auditActor(req));
    req.log.info({ backend: view.id }, 'backend undrained');
    res.json(view);
  });

  bindOperation(router, MOUNT, 'deleteBackend', async (req, res) => {
    const { force } = parseInput(deleteBackendQuerySchema, req.query, 'query');
    await deleteBackend(ctx, pathId(req), force, auditActor(req));
    req.log.info({ backend: pathId(req), force }, 'backend deleted');
    res.status(204).end();
  });

  return router;
}
