import { Router } from 'express';
import type { LivenessReport } from '@gantry/domain';
import { renderMetrics } from '@gantry/metrics';
import type { ApiDeps } from '../context.js';
import { requireMetricsToken } from '../metrics/metrics-auth.js';
import { installApiMetrics } from '../metrics/install.js';
import { checkReadiness } from '../services/readiness.js';
import { bindOperation } from '../http/bind-operation.js';

/** Where app.ts mounts this router (the catalog's paths are absolute). */
const MOUNT = '';

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
  bindOperation(router, MOUNT, 'getLiveness', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'alive', uptimeSeconds: Math.round(process.uptime()) } satisfies LivenessReport);
  });
  bindOperation(router, MOUNT, 'getReadiness', async (_req, res) => {
    const report = await checkReadiness(deps);
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  bindOperation(
    router,
    MOUNT,
    'getMetrics',
    async (_req, res) => {
      const { contentType, body } = await renderMetrics(deps.metrics);
      res.setHeader('Cache-Control', 'no-store');
      res.type(contentType).send(body);
    },
    { before: [requireMetricsToken(deps.config.metricsToken)] },
  );
  return router;
}
