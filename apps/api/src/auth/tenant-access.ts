import { AppError, scopesGrant, type ApiKeyScope } from '@gantry/domain';
import type { Principal } from './authenticate.js';

/**
 * Who may act on which tenant, and which keys a caller may mint or manage (docs/security.md).
 * Pure rules over a principal; the routes and services look the rows up and call these.
 */

/** Operator keys act on the installation: the fleet and every tenant. */
export function isOperator(principal: Principal): boolean {
  return scopesGrant(principal.scopes, 'operator');
}

/** Whether a name (a path's `{tenant}`, a `tenant` query) means the caller's own tenant. */
export function namesOwnTenant(principal: Principal, name: string | undefined): boolean {
  return name === undefined || name === 'current' || name === principal.tenantName;
}

/**
 * Refuses a non-operator that names another tenant. 403 whether or not that tenant exists, so
 * tenant names cannot be probed by anyone but operators.
 */
export function assertMayActOnTenant(principal: Principal, name: string | undefined): void {
  if (namesOwnTenant(principal, name) || isOperator(principal)) return;
  throw new AppError('FORBIDDEN', 'Only operator keys act on other tenants', { details: { reason: 'other_tenant' } });
}

/**
 * May the caller hold a key with these scopes in that tenant, i.e. create it, rotate it (which
 * mints one) or revoke it? Operators: any. Tenant admins: their own tenant, never an operator key
 * (that would be a way out of their tenant). The route already required `tenant-admin`.
 */
export function assertMayGrant(principal: Principal, tenantName: string, scopes: readonly ApiKeyScope[]): void {
  assertMayActOnTenant(principal, tenantName);
  if (isOperator(principal)) return;
  if (scopes.includes('operator')) {
    throw new AppError('FORBIDDEN', 'Only operator keys create or manage operator keys', { details: { reason: 'scope_not_grantable', scope: 'operator' } });
  }
}
