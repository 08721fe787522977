import { AppError } from '@gantry/domain';
import { findTenantByName, type Db } from '@gantry/db';
import type { Principal } from '../auth/authenticate.js';
import { assertMayActOnTenant, namesOwnTenant } from '../auth/tenant-access.js';

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The tenant a request names (`current`, absent, or a name): the caller's own, or, for operator
 * keys, any existing tenant (unknown → 404). Other keys naming another tenant get 403.
 */
export async function resolveTenant(db: Db, principal: Principal, name: string | undefined): Promise<{ id: string; name: string }> {
  if (namesOwnTenant(principal, name)) return { id: principal.tenantId, name: principal.tenantName };
  assertMayActOnTenant(principal, name);
  const tenant = name !== undefined && NAME_RE.test(name) ? await findTenantByName(db, name) : null;
  if (!tenant) throw new AppError('NOT_FOUND', 'No such tenant');
  return tenant;
}
