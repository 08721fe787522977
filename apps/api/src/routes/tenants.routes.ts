import { Router, type Request } from 'express';
import { AppError, type TenantView } from '@gantry/domain';
import { getTenantRetention, recordAuditEvents, setTenantRetention } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { bindOperation } from '../http/bind-operation.js';
import { principalOf } from '../middleware/auth.js';
import { auditActor, auditEvents } from '../services/audit.js';
import { resolveTenant } from '../services/resolve-tenant.js';

const MOUNT = '/api/v1/tenants';

/**
 * The tenant a path names: `current` (the caller's), its own name or, for operator keys, any tenant.
 * The binder passes the name as sent: resolveTenant refuses another tenant's (403) before a malformed one (404).
 */
async function tenantIdOf(deps: ApiDeps, req: Request, bound: { params(): { tenant: string } }): Promise<string> {
  return (await resolveTenant(deps.db, principalOf(req), bound.params().tenant)).id;
}

/**
 * Tenant settings (scope tenant-admin for the caller's own tenant, operator for any):
 * `GET /tenants/{current|name}` and `PATCH` with `{"retentionDays": N | null}`
 * (docs/operations.md#retention).
 */
export function tenantsRouter(deps: ApiDeps): Router {
  const router = Router();

  bindOperation(router, MOUNT, 'getTenant', async (req, res, bound) => {
    const tenant = await getTenantRetention(deps.db, await tenantIdOf(deps, req, bound));
    if (!tenant) throw new AppError('NOT_FOUND', 'No such tenant');
    res.setHeader('Cache-Control', 'no-store');
    res.json(tenant satisfies TenantView);
  });

  bindOperation(router, MOUNT, 'updateTenant', async (req, res, bound) => {
    const tenantId = await tenantIdOf(deps, req, bound); // who may, before what: a refusal says nothing about the body
    const input = bound.body();
    const actor = auditActor(req);
    const tenant = await deps.db.$transaction(async (tx) => {
      const before = await getTenantRetention(tx, tenantId);
      const updated = await setTenantRetention(tx, tenantId, input.retentionDays);
      const target = { type: 'tenant' as const, id: tenantId, tenantId };
      await recordAuditEvents(tx, auditEvents(actor, 'tenant.updated', target, { retentionDays: { from: before?.retentionDays ?? null, to: updated.retentionDays } }));
      return updated;
    });
    req.log.info({ tenantId: tenant.id, retentionDays: tenant.retentionDays }, 'tenant retention set');
    res.json(tenant satisfies TenantView);
  });

  return router;
}
