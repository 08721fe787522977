import { Router, type Request } from 'express';
import { AppError, updateTenantSchema, type TenantView } from '@gantry/domain';
import { getTenantRetention, recordAuditEvents, setTenantRetention } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { parseInput } from '../http/validate.js';
import { principalOf, requireScope } from '../middleware/auth.js';
import { auditActor, auditEvents } from '../services/audit.js';
import { requireJson } from './require-json.js';

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The tenant a path names: `current` (the caller's) or, for admin keys, any tenant by name. */
async function tenantIdOf(deps: ApiDeps, req: Request): Promise<string> {
  const principal = principalOf(req);
  const name = typeof req.params.tenant === 'string' ? req.params.tenant : '';
  if (name === 'current' || name === principal.tenantName) return principal.tenantId;
  if (!NAME_RE.test(name)) throw new AppError('NOT_FOUND', 'No such tenant');
  const row = await deps.db.tenant.findUnique({ where: { name }, select: { id: true } });
  if (!row) throw new AppError('NOT_FOUND', 'No such tenant');
  return row.id;
}

/**
 * Tenant settings (scope admin): `GET /tenants/{current|name}` and `PATCH` with
 * `{"retentionDays": N | null}` (docs/operations.md#retention).
 */
export function tenantsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/:tenant', requireScope('admin'), async (req, res) => {
    const tenant = await getTenantRetention(deps.db, await tenantIdOf(deps, req));
    if (!tenant) throw new AppError('NOT_FOUND', 'No such tenant');
    res.setHeader('Cache-Control', 'no-store');
    res.json(tenant satisfies TenantView);
  });

  router.patch('/:tenant', requireScope('admin'), requireJson, async (req, res) => {
    const input = parseInput(updateTenantSchema, req.body, 'tenant settings');
    const tenantId = await tenantIdOf(deps, req);
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
