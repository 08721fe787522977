import { Router } from 'express';
import type { ApiKeyPage } from '@gantry/domain';
import { listTenantApiKeys } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { principalOf, requireScope } from '../middleware/auth.js';
import { apiKeyView } from '../services/api-key-view.js';
import { auditActor } from '../services/audit.js';
import { createApiKey } from '../services/create-api-key.js';
import { revokeApiKey } from '../services/revoke-api-key.js';
import { resolveTenant } from '../services/resolve-tenant.js';
import { rotateApiKey } from '../services/rotate-api-key.js';
import { decodeCursor, fetchLimit, pageOf } from './cursor.js';
import { bindOperation } from '../http/bind-operation.js';

const MOUNT = '/api/v1/api-keys';

/** The key id of the path (parsed by the binder: a malformed one is not found), in the form it is stored. */
function keyIdOf(bound: { params(): { id: string } }): string {
  return bound.params().id.toLowerCase();
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

  bindOperation(router, MOUNT, 'createApiKey', async (req, res, bound) => {
    const input = bound.body();
    const created = await createApiKey(deps.db, principalOf(req), input, auditActor(req));
    req.log.info({ apiKeyId: created.id, tenant: created.tenant, scopes: created.scopes }, 'api key created');
    res.status(201).location(`/api/v1/api-keys/${created.id}`).setHeader('Cache-Control', 'no-store').json(created);
  });

  bindOperation(router, MOUNT, 'listApiKeys', async (req, res, bound) => {
    const query = bound.query();
    const tenant = await resolveTenant(deps.db, principalOf(req), query.tenant);
    const rows = await listTenantApiKeys(deps.db, tenant.id, fetchLimit(query.limit), decodeCursor(query.cursor));
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: page.map((k) => apiKeyView(k)), nextCursor } satisfies ApiKeyPage);
  });

  bindOperation(router, MOUNT, 'revokeApiKey', async (req, res, bound) => {
    const key = await revokeApiKey(deps, principalOf(req), auditActor(req), keyIdOf(bound));
    req.log.info({ apiKeyId: key.id }, 'api key revoked');
    res.setHeader('Cache-Control', 'no-store');
    res.json(key);
  });

  bindOperation(router, MOUNT, 'rotateApiKey', async (req, res, bound) => {
    const input = bound.body(); // optional: left out, its defaults apply
    const rotated = await rotateApiKey(deps, principalOf(req), auditActor(req), keyIdOf(bound), input);
    req.log.info({ apiKeyId: keyIdOf(bound), newApiKeyId: rotated.id, graceSeconds: input.graceSeconds }, 'api key rotated');
    res.status(201).location(`/api/v1/api-keys/${rotated.id}`).setHeader('Cache-Control', 'no-store').json(rotated);
  });

  return router;
}
