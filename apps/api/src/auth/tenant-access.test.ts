import { AppError, type ApiKeyScope } from '@gantry/domain';
import type { Principal } from './authenticate';
import { assertMayActOnTenant, assertMayGrant, isOperator } from './tenant-access';

const principal = (scopes: ApiKeyScope[], tenantName = 'studio-a'): Principal => ({ keyId: 'k', tenantId: `id-${tenantName}`, tenantName, scopes });

/** The refusal's `errors.reason`, or 'allowed'. */
function outcome(check: () => void): string {
  try {
    check();
    return 'allowed';
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'FORBIDDEN') throw err;
    return (err.details as { reason: string }).reason;
  }
}

describe('tenant access rules', () => {
  const tenantAdmin = principal(['tenant-admin']);
  const operator = principal(['operator'], 'default');

  it('lets only operators name another tenant', () => {
    for (const name of [undefined, 'current', 'studio-a']) expect(outcome(() => assertMayActOnTenant(tenantAdmin, name))).toBe('allowed');
    expect(outcome(() => assertMayActOnTenant(tenantAdmin, 'studio-b'))).toBe('other_tenant');
    expect(outcome(() => assertMayActOnTenant(operator, 'studio-b'))).toBe('allowed');
    expect(isOperator(tenantAdmin)).toBe(false);
    expect(isOperator(operator)).toBe(true);
  });

  it('lets a tenant admin grant any scope but operator, in its own tenant only', () => {
    const grants: [ApiKeyScope[], string, string][] = [
      [['read', 'submit'], 'studio-a', 'allowed'],
      [['tenant-admin'], 'studio-a', 'allowed'],
      [['operator'], 'studio-a', 'scope_not_grantable'],
      [['read', 'operator'], 'studio-a', 'scope_not_grantable'],
      [['read'], 'studio-b', 'other_tenant'],
      [['operator'], 'studio-b', 'other_tenant'],
    ];
    for (const [scopes, tenant, expected] of grants) {
      expect({ scopes, tenant, result: outcome(() => assertMayGrant(tenantAdmin, tenant, scopes)) }).toEqual({ scopes, tenant, result: expected });
      expect({ scopes, tenant, operator: outcome(() => assertMayGrant(operator, tenant, scopes)) }).toEqual({ scopes, tenant, operator: 'allowed' });
    }
  });
});
