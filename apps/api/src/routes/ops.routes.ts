import { Router } from 'express';
import { renderMetrics } from '@gantry/metrics';
import type { ApiDeps } from '../context.js';
import { requireMetricsToken } from '../metrics/metrics-auth.js';
import { installApiMetrics } from '../metrics/install.js';
import { checkReadiness } from '../services/readiness.js';

/**
 * Operations endpoints at the root, for orchestrators and Prometheus (not under /api/v1, not
 * tenant-scoped, no API key):
 * - `GET /livez`: the process is alive and serving HTTP (no dependency is checked);
 * - `GET /readyz`: PostgreSQL, Redis and all migrations applied → 200, else 503;
 * - `GET /metrics`: Prometheus text format; bearer `GANTRY_METRICS_TOKEN` when set.
 */
export function opsRouter(deps: ApiDeps): Router {
  installApiMetrics(deps);
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'alive', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps);
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  router.get('/metrics', requireMetricsToken(deps.config.metricsToken), async (_req, res) => {
    const { contentType, body } = await renderMetrics(deps.metrics);
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
  return router;
}
