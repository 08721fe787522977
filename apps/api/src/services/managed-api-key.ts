import { AppError, canonicalScopes } from '@gantry/domain';
import { findApiKey, findTenantApiKey, type ApiKeySummary, type DbOrTx } from '@gantry/db';
import type { Principal } from '../auth/authenticate.js';
import { assertMayGrant, isOperator } from '../auth/tenant-access.js';

/**
 * The key `id` as the caller may manage it (revoke, rotate). Operators find any tenant's key;
 * other callers only their own tenant's (another tenant's key is not found: 404, as if it did not
 * exist). A key the caller could not have created (an operator key, for a tenant admin) is 403.
 */
export async function findManagedApiKey(db: DbOrTx, caller: Principal, id: string): Promise<ApiKeySummary> {
  const key = isOperator(caller) ? await findApiKey(db, id) : await findTenantApiKey(db, caller.tenantId, id);
  if (!key) throw new AppError('NOT_FOUND', 'No such API key');
  assertMayGrant(caller, key.tenantName, canonicalScopes(key.scopes));
  return key;
}
