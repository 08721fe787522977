import type { Request } from 'express';
import type { AuditAction, AuditTargetType } from '@gantry/domain';
import type { NewAuditEvent } from '@gantry/db';
import { principalOf } from '../middleware/auth.js';

/** Who did an administrative action, from where: stamped on its audit events. */
export interface AuditActor {
  tenantId: string;
  actorKeyId: string | null;
  requestId: string | null;
  ip: string | null;
}

export function auditActor(req: Request): AuditActor {
  return {
    tenantId: principalOf(req).tenantId,
    actorKeyId: principalOf(req).keyId,
    requestId: req.id === undefined ? null : String(req.id),
    ip: req.ip ?? null,
  };
}

/**
 * The audit events of one action: one in the actor's tenant, and one more in the target's tenant
 * when that is another one (an admin creating a key for another tenant), so both logs show it.
 */
export function auditEvents(
  actor: AuditActor,
  action: AuditAction,
  target: { type: AuditTargetType; id: string; tenantId?: string },
  details?: Record<string, unknown>,
): NewAuditEvent[] {
  const base = { actorKeyId: actor.actorKeyId, action, targetType: target.type, targetId: target.id, details, requestId: actor.requestId, ip: actor.ip };
  const tenants = new Set([actor.tenantId, target.tenantId ?? actor.tenantId]);
  return [...tenants].map((tenantId) => ({ ...base, tenantId }));
}
