import express, { Router } from 'express';
import { handlerMounts, servedRoutes } from './served-routes';

describe('servedRoutes', () => {
  it('lists the routes of nested routers with OpenAPI paths', () => {
    const app = express();
    app.use(express.json());
    app.get('/livez', (_req, res) => res.end());
    const inner = Router();
    inner.get('/', (_req, res) => res.end());
    inner.route('/:id').get((_req, res) => res.end()).delete((_req, res) => res.end());
    inner.post('/:id/files/:fileId', (_req, res) => res.end());
    const api = Router();
    api.use((_req, _res, next) => next()); // middleware: no route of its own
    api.use('/things', inner);
    app.use('/api/v1', api);
    app.use((_req, res) => res.status(404).end());

    expect(servedRoutes(app).map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual([
      'GET /livez',
      'GET /api/v1/things',
      'GET /api/v1/things/{id}',
      'DELETE /api/v1/things/{id}',
      'POST /api/v1/things/{id}/files/{fileId}',
    ]);
    expect(handlerMounts(app)).toEqual([]);
  });

  it('lists the paths where plain handlers are mounted (what they serve is invisible to a route walk)', () => {
    const app = express();
    app.use(express.json());
    app.use('/ui', (_req, _res, next) => next(), (_req, res) => res.end());
    const api = Router();
    api.use('/legacy', (_req, res) => res.end());
    app.use('/api', api);
    expect(handlerMounts(app)).toEqual(['/ui', '/api/legacy']);
    expect(servedRoutes(app)).toEqual([]);
  });

  it('refuses paths it cannot translate instead of skipping them', () => {
    const app = express();
    app.get('/files/*rest', (_req, res) => res.end());
    expect(() => servedRoutes(app)).toThrow(/wildcards or optional parts/);
    const other = express();
    other.get(/^\/regex$/, (_req, res) => res.end());
    expect(() => servedRoutes(other)).toThrow(/non-string path/);
  });
});
