import { AppError, canonicalScopes, type CreateApiKeyInput, type CreatedApiKey } from '@gantry/domain';
import { ensureTenant, insertApiKey, recordAuditEvents, type Db } from '@gantry/db';
import { generateApiKey } from '../auth/api-key-format.js';
import type { Principal } from '../auth/authenticate.js';
import { BOOTSTRAP_KEY_NAME } from '../auth/bootstrap-admin.js';
import { assertMayGrant } from '../auth/tenant-access.js';
import { auditEvents, type AuditActor } from './audit.js';

/**
 * Creates a key for a tenant (creating the tenant if needed), audited, all in one transaction: a
 * request refused on the way (a value the database cannot store, a lost connection) leaves no
 * tenant without its key behind. The caller must be allowed to grant those scopes in that tenant
 * (checked before anything is written). Legacy scope names are stored as their canonical scope.
 * The secret is returned only here.
 */
export async function createApiKey(db: Db, caller: Principal, input: CreateApiKeyInput, actor: AuditActor): Promise<CreatedApiKey> {
  const scopes = canonicalScopes(input.scopes);
  assertMayGrant(caller, input.tenant, scopes);
  if (input.name === BOOTSTRAP_KEY_NAME) {
    throw new AppError('VALIDATION_FAILED', 'The API key request is invalid', {
      details: [{ path: 'name', message: `"${BOOTSTRAP_KEY_NAME}" is reserved for the key from the environment`, code: 'reserved' }],
    });
  }
  const generated = generateApiKey();
  const { tenant, row } = await db.$transaction(async (tx) => {
    const tenant = await ensureTenant(tx, input.tenant);
    const row = await insertApiKey(tx, { tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash, scopes, name: input.name });
    await recordAuditEvents(
      tx,
      auditEvents(actor, 'api_key.created', { type: 'api_key', id: row.id, tenantId: tenant.id }, { tenant: tenant.name, scopes, name: input.name ?? null }),
    );
    return { tenant, row };
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
