import { Router } from 'express';
import type { ApiDeps } from '../context.js';
import { bindOperation } from '../http/bind-operation.js';
import { backendContext, listModels } from '../services/backends/index.js';

/**
 * `GET /models` (scope read, like the fleet's state): every model file the fleet holds and the
 * ids of the backends that hold it. Ids only, never backend URLs (docs/security.md).
 */
export function modelsRouter(deps: ApiDeps): Router {
  const ctx = backendContext(deps);
  const router = Router();
  bindOperation(router, '/api/v1/models', 'listModels', async (_req, res, bound) => {
    const { kind } = bound.query();
    res.setHeader('Cache-Control', 'no-store');
    res.json(await listModels(ctx, kind));
  });
  return router;
}
