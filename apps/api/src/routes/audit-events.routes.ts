import { Router } from 'express';
import type { AuditAction, AuditEventPage, AuditEventView, AuditTargetType } from '@gantry/domain';
import { listAuditEvents, type AuditEventRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { bindOperation } from '../http/bind-operation.js';
import { principalOf } from '../middleware/auth.js';
import { resolveTenant } from '../services/resolve-tenant.js';
import { decodeCursor, fetchLimit, pageOf } from './cursor.js';

const MOUNT = '/api/v1/audit-events';

function view(row: AuditEventRow): AuditEventView {
  return {
    id: row.id,
    action: row.action as AuditAction,
    target: { type: row.targetType as AuditTargetType, id: row.targetId },
    actorKeyId: row.actorKeyId,
    details: (row.details as Record<string, unknown> | null) ?? null,
    requestId: row.requestId,
    ip: row.ip,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * `GET /audit-events?action=&tenant=&limit=&cursor=` (scope tenant-admin): the caller's tenant's
 * log, newest first; operator keys may name any tenant.
 */
export function auditEventsRouter(deps: ApiDeps): Router {
  const router = Router();
  bindOperation(router, MOUNT, 'listAuditEvents', async (req, res, bound) => {
    const query = bound.query();
    const tenant = await resolveTenant(deps.db, principalOf(req), query.tenant);
    const rows = await listAuditEvents(deps.db, {
      tenantId: tenant.id,
      action: query.action,
      limit: fetchLimit(query.limit),
      afterId: decodeCursor(query.cursor),
    });
    const { page, nextCursor } = pageOf(rows, query.limit);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: page.map(view), nextCursor } satisfies AuditEventPage);
  });
  return router;
}
