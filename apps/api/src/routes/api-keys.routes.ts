import { Router, type Request } from 'express';
import { AppError, createApiKeySchema, listApiKeysQuerySchema, rotateApiKeySchema, type ApiKeyPage } from '@gantry/domain';
import { listTenantApiKeys } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { parseInput } from '../http/validate.js';
import { principalOf, requireScope } from '../middleware/auth.js';
import { apiKeyView } from '../services/api-key-view.js';
import { auditActor } from '../services/audit.js';
import { createApiKey } from '../services/create-api-key.js';
import { revokeApiKey } from '../services/revoke-api-key.js';
import { resolveTenant } from '../services/resolve-tenant.js';
import { rotateApiKey } from '../services/rotate-api-key.js';
import { decodeCursor, fetchLimit, pageOf } from './cursor.js';
import { requireJson } from './require-json.js';
import { bindOperation } from '../http/bind-operation.js';

const MOUNT = '/api/v1/api-keys';

function pathId(req: Request): string {
  const id = req.params.id;
  return typeof id === 'string' ? id.toLowerCase() : '';
}

/**
 * API keys (scope tenant-admin): create, list, revoke and rotate the caller's tenant's keys
 * (another tenant's key is not found); operator keys act on every tenant's keys and are the only
 * ones that create or manage operator keys (auth/tenant-access.ts). Secrets appear only in create
 * and rotate responses.
 */
export function apiKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  // Guards the whole router, so a path below /api-keys that no route serves is 403 too, not 404 (each
  // route checks the catalog's scope again: the same).
  router.use(requireScope('tenant-admin'));

  bindOperation(router, MOUNT, 'createApiKey', requireJson, async (req, res) => {
    const input = parseInput(createApiKeySchema, req.body, 'API key request');
    const created = await createApiKey(deps.db, principalOf(req), input, auditActor(req));
    req.log.info({ apiKeyId: created.id, tenant: created.tenant, scopes: created.scopes }, 'api key created');
    res.status(201).location(`/api/v1/api-keys/${created.id}`).setHeader('Cache-Control', 'no-store').json(created);
  });

  bindOperation(router, MOUNT, 'listApiKeys', async (req, res) => {
    const query = parseInput(listApiKeysQuerySchema, req.query, 'query');
    const tenant = await resolveTenant(deps.db, principalOf(req), query.tenant);
    const rows = await listTenantApiKeys(deps.db, tenant.id, fetchLimit(query.limit), decodeCursor(query.cursor));
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: page.map((k) => apiKeyView(k)), nextCursor } satisfies ApiKeyPage);
  });

  bindOperation(router, MOUNT, 'revokeApiKey', async (req, res) => {
    const key = await revokeApiKey(deps, principalOf(req), auditActor(req), pathId(req));
    req.log.info({ apiKeyId: key.id }, 'api key revoked');
    res.setHeader('Cache-Control', 'no-store');
    res.json(key);
  });

  bindOperation(router, MOUNT, 'rotateApiKey', async (req, res) => {
    // The body is optional; one that is sent must be JSON.
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    const input = parseInput(rotateApiKeySchema, req.body ?? {}, 'rotation request');
    const rotated = await rotateApiKey(deps, principalOf(req), auditActor(req), pathId(req), input);
    req.log.info({ apiKeyId: pathId(req), newApiKeyId: rotated.id, graceSeconds: input.graceSeconds }, 'api key rotated');
    res.status(201).location(`/api/v1/api-keys/${rotated.id}`).setHeader('Cache-Control', 'no-store').json(rotated);
  });

  return router;
}
