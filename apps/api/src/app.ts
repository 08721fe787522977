import express, { type Express, type RequestHandler } from 'express';
import { dashboard } from '@gantry/dashboard';
import type { ApiDeps } from './context.js';
import { assertCatalogBound, mountBound } from './http/bind-operation.js';
import { jsonBody } from './http/json-body.js';
import { refuseMalformedPath } from './http/path-guard.js';
import { requireApiKey } from './middleware/auth.js';
import { cors } from './middleware/cors.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestLog } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';
import { apiKeysRouter } from './routes/api-keys.routes.js';
import { auditEventsRouter } from './routes/audit-events.routes.js';
import { backendsRouter } from './routes/backends.routes.js';
import { healthRouter } from './routes/health.routes.js';
import { jobsRouter } from './routes/jobs.routes.js';
import { modelsRouter } from './routes/models.routes.js';
import { trackHttpMetrics } from './metrics/index.js';
import { opsRouter } from './routes/ops.routes.js';
import { tenantsRouter } from './routes/tenants.routes.js';
import { uploadsRouter } from './routes/uploads.routes.js';
import { openApiRouter } from './routes/openapi.routes.js';

/** Names requests to a non-router mount in the HTTP metrics' `route` label (no ids, one series). */
function labelMount(label: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.metricsRoute = label;
    next();
  };
}

/** Builds the HTTP application. It never listens: main.ts (or a test) does. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(trackHttpMetrics(deps.metrics)); // first, so it times everything (docs/metrics.md)
  app.set('trust proxy', deps.config.security.trustProxy);
  app.use(requestLog(deps.logger)); // req.id, req.log and one line per request (docs/metrics.md, "Logs")
  app.use(securityHeaders()); // helmet's defaults, taken once
  app.use(cors(deps.config.security.corsOrigins));
  app.use(refuseMalformedPath); // before anything decodes the path (router params, dashboard, docs assets)
  const limit = rateLimit(deps);
  if (limit) app.use('/api/v1', limit);
  app.use(jsonBody({ limit: deps.config.bodyLimit, maxDepth: deps.config.security.jsonMaxDepth }));

  app.use('/dashboard', labelMount('/dashboard'), dashboard()); // the web UI; sets its own CSP (docs/dashboard.md)
  const routers = {
    ops: opsRouter(deps), // /livez, /readyz, /metrics
    health: healthRouter(deps),
    openApi: openApiRouter(), // openapi.json and the docs page: public
    jobs: jobsRouter(deps),
    uploads: uploadsRouter(deps),
    apiKeys: apiKeysRouter(deps),
    backends: backendsRouter(deps),
    models: modelsRouter(deps),
    tenants: tenantsRouter(deps),
    auditEvents: auditEventsRouter(deps),
  };
  assertCatalogBound(Object.values(routers)); // each operation of the contract, once, or the API does not start
  mountBound(app, '', routers.ops);
  mountBound(app, '', routers.health);
  mountBound(app, '', routers.openApi);
  const authed = express.Router();
  authed.use(requireApiKey(deps.keys));
  for (const router of [routers.jobs, routers.uploads, routers.apiKeys, routers.backends, routers.models, routers.tenants, routers.auditEvents]) {
    mountBound(authed, '/api/v1', router);
  }
  app.use('/api/v1', authed);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
