import { AppError, BACKEND_ID_RE } from '@gantry/domain';
import { isNotFound, recordAuditEvents, setBackendDraining } from '@gantry/db';
import { auditEvents, type AuditActor } from '../audit.js';
import type { BackendContext } from './backend-context.js';
import { viewsOf } from './load-backends.js';
import type { BackendView } from './backend-view.js';

/**
 * Drains (no new jobs; running ones finish) or undrains a backend. PostgreSQL holds the flag;
 * it is mirrored into the shared health in Redis so dispatch sees it at once, before the
 * workers' next registry refresh, and the change is announced (the API instances' in-memory
 * fleets, which the wait estimate judges on, read the rows again). Idempotent; audited (with the
 * previous flag) in the same transaction.
 */
export async function setDraining(ctx: BackendContext, id: string, draining: boolean, actor: AuditActor): Promise<BackendView> {
  if (!BACKEND_ID_RE.test(id)) throw new AppError('NOT_FOUND', 'No such backend');
  let row;
  try {
    row = await ctx.deps.db.$transaction(async (tx) => {
      const changed = await setBackendDraining(tx, id, draining);
      if (!changed) throw new AppError('NOT_FOUND', 'No such backend');
      const action = draining ? 'backend.drained' : 'backend.undrained';
      await recordAuditEvents(tx, auditEvents(actor, action, { type: 'backend', id }, { wasDraining: changed.wasDraining }));
      return changed.row;
    });
  } catch (err) {
    if (isNotFound(err)) throw new AppError('NOT_FOUND', 'No such backend');
    throw err;
  }
  await ctx.health.store.setDraining(id, draining);
  await ctx.announceChange();
  const [view] = await viewsOf(ctx, [row]);
  return view!;
}
