import express, { type Express } from 'express';
import helmet from 'helmet';
import { dashboard } from '@gantry/dashboard';
import { pinoHttp } from 'pino-http';
import type { ApiDeps } from './context.js';
import { requireApiKey } from './middleware/auth.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { requestId } from './middleware/request-id.js';
import { apiKeysRouter } from './routes/api-keys.routes.js';
import { backendsRouter } from './routes/backends.routes.js';
import { healthRouter } from './routes/health.routes.js';
import { jobsRouter } from './routes/jobs.routes.js';

/** Builds the HTTP application. It never listens: main.ts (or a test) does. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: requestId,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use(express.json({ limit: deps.config.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));

  app.use('/dashboard', dashboard()); // the web UI; sets its own CSP (docs/dashboard.md)
  app.use('/api/v1/health', healthRouter(deps));
  const authed = express.Router();
  authed.use(requireApiKey(deps.db));
  authed.use('/jobs', jobsRouter(deps));
  authed.use('/api-keys', apiKeysRouter(deps));
  authed.use('/backends', backendsRouter(deps));
  app.use('/api/v1', authed);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
