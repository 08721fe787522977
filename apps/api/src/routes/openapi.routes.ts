import { Router } from 'express';
import { DOCS_ASSETS, DOCS_CSP, DOCS_HTML } from '../openapi/docs-page.js';
import { openApiDocument } from '../openapi/document.js';
import { bindOperation } from '../http/bind-operation.js';

const MOUNT = '/api/v1';

/**
 * RFC 9110 If-None-Match (weak comparison), evaluated even when the request says
 * `Cache-Control: no-cache` (fetch() adds that to conditional requests; Express's `req.fresh`
 * then never answers 304).
 */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Unauthenticated, mounted at `/api/v1`: the OpenAPI document (`/openapi.json`, revalidated by
 * ETag) and its docs page (`/docs`, Swagger UI served from swagger-ui-dist, no CDN).
 */
export function openApiRouter(): Router {
  const router = Router();

  bindOperation(router, MOUNT, 'getOpenApiDocument', (req, res) => {
    const { json, etag } = openApiDocument();
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, no-cache');
    if (matchesEtag(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(json);
  });

  bindOperation(router, MOUNT, 'getApiDocs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(DOCS_HTML);
  });

  bindOperation(router, MOUNT, 'getApiDocsAsset', (_req, res, bound, next) => {
    const name = bound.params().asset; // one of the catalog's names: another is not found
    const asset: { file?: string; source?: string } = DOCS_ASSETS[name];
    if (asset.source !== undefined) {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('text/javascript').send(asset.source);
      return;
    }
    // No Range support: the files are small, and an unsatisfiable Range would be an error (416) the
    // contract does not know; conditional GETs (If-None-Match, If-Modified-Since) still answer 304.
    res.sendFile(asset.file!, { maxAge: '1h', dotfiles: 'deny', acceptRanges: false }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });

  return router;
}
