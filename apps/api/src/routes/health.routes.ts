import { Router } from 'express';
import type { ApiDeps } from '../context.js';
import { checkHealth } from '../services/health.js';

/** Unauthenticated: load balancers and orchestrators call it. It reveals no tenant data. */
export function healthRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const report = await checkHealth(deps);
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return router;
}
