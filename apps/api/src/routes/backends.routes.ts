import { Router, type Request } from 'express';
import type { BackendList, BackendView } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
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

const MOUNT = '/api/v1/backends';

/** Backend URLs are internal addresses of the shared fleet: only operators see them. */
function forCaller(req: Request, view: BackendView): BackendView {
  if (isOperator(principalOf(req))) return view;
  const { url: _url, ...rest } = view;
  return rest;
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

  bindOperation(router, MOUNT, 'createBackend', async (req, res, bound) => {
    const input = bound.body();
    const view = await createBackend(ctx, input, auditActor(req));
    req.log.info({ backend: view.id, url: view.url, tags: view.tags }, 'backend registered');
    res.status(201).location(view.links.self).json(view);
  });

  bindOperation(router, MOUNT, 'getBackend', async (req, res, bound) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(forCaller(req, await getBackendView(ctx, bound.params().id)));
  });

  bindOperation(router, MOUNT, 'drainBackend', async (req, res, bound) => {
    const view = await setDraining(ctx, bound.params().id, true, auditActor(req));
    req.log.info({ backend: view.id, inFlight: view.inFlight }, 'backend draining');
    res.json(view);
  });

  bindOperation(router, MOUNT, 'undrainBackend', async (req, res, bound) => {
    const view = await setDraining(ctx, bound.params().id, false, auditActor(req));
    req.log.info({ backend: view.id }, 'backend undrained');
    res.json(view);
  });

  bindOperation(router, MOUNT, 'deleteBackend', async (req, res, bound) => {
    const { force } = bound.query();
    const { id } = bound.params();
    await deleteBackend(ctx, id, force, auditActor(req));
    req.log.info({ backend: id, force }, 'backend deleted');
    res.status(204).end();
  });

  return router;
}
