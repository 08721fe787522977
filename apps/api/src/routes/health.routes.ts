import { Router } from 'express';
import type { ApiDeps } from '../context.js';
import { checkHealth } from '../services/health.js';
import { bindOperation } from '../http/bind-operation.js';

const MOUNT = '/api/v1/health';

/** Unauthenticated: load balancers and orchestrators call it. It reveals no tenant data. */
export function healthRouter(deps: ApiDeps): Router {
  const router = Router();
  bindOperation(router, MOUNT, 'getHealth', async (_req, res) => {
    const report = await checkHealth(deps);
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return router;
}
