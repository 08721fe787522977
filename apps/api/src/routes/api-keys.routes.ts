import { Router } from 'express';
import { createApiKeySchema } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { parseInput } from '../http/validate.js';
import { requireScope } from '../middleware/auth.js';
import { createApiKey } from '../services/create-api-key.js';
import { requireJson } from './require-json.js';

export function apiKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/', requireScope('admin'), requireJson, async (req, res) => {
    const input = parseInput(createApiKeySchema, req.body, 'API key request');
    const created = await createApiKey(deps.db, input);
    req.log.info({ apiKeyId: created.id, tenant: created.tenant, scopes: created.scopes }, 'api key created');
    res.status(201).location(`/api/v1/api-keys/${created.id}`).setHeader('Cache-Control', 'no-store').json(created);
  });
  return router;
}
