import { AppError } from '@gantry/domain';
import { deleteBackendRow, isNotFound, recordAuditEvents } from '@gantry/db';
import { auditEvents, type AuditActor } from '../audit.js';
import type { BackendContext } from './backend-context.js';
import { findBackendRow } from './load-backends.js';

/**
 * Unregisters a backend. While jobs run on it (live slot leases) this is refused with
 * INVALID_STATE unless `force`: drain it first and delete it once `inFlight` is 0. Workers drop
 * it at their next registry refresh (a backend still listed in a worker's GANTRY_BACKENDS comes
 * back when that worker restarts). Audited in the same transaction.
 */
export async function deleteBackend(ctx: BackendContext, id: string, force: boolean, actor: AuditActor): Promise<void> {
  const existing = await findBackendRow(ctx, id);
  const inFlight = (await ctx.leases.inFlight([id]))[id] ?? 0;
  if (inFlight > 0 && !force) {
    throw new AppError('INVALID_STATE', `Backend "${id}" is running ${inFlight} job(s); drain it and retry when they are done, or pass force=true`, {
      details: { inFlight },
    });
  }
  try {
    await ctx.deps.db.$transaction(async (tx) => {
      await deleteBackendRow(tx, id);
      const details = { force, inFlight, url: existing.url, kind: existing.kind };
      await recordAuditEvents(tx, auditEvents(actor, 'backend.deleted', { type: 'backend', id }, details));
    });
  } catch (err) {
    if (isNotFound(err)) throw new AppError('NOT_FOUND', 'No such backend');
    throw err;
  }
  await ctx.announceChange();
  await ctx.health.store.forget(id);
}
