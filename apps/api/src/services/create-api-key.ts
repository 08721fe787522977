import type { CreateApiKeyInput, CreatedApiKey } from '@gantry/domain';
import { ensureTenant, insertApiKey, type Db } from '@gantry/db';
import { generateApiKey } from '../auth/api-key-format.js';

/** Creates a key for a tenant (creating the tenant if needed). The secret is returned only here. */
export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const tenant = await ensureTenant(db, input.tenant);
  const generated = generateApiKey();
  const scopes = [...new Set(input.scopes)];
  const row = await insertApiKey(db, {
    tenantId: tenant.id,
    prefix: generated.prefix,
    hash: generated.hash,
    scopes,
    name: input.name,
  });
  return {
    id: row.id,
    key: generated.key,
    tenant: tenant.name,
    scopes,
    name: input.name ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
