import { AppError, type BackendConfig } from '@gantry/domain';
import { createBackendRow, isUniqueViolation, recordAuditEvents } from '@gantry/db';
import { auditEvents, type AuditActor } from '../audit.js';
import type { BackendContext } from './backend-context.js';
import { viewsOf } from './load-backends.js';
import type { BackendView } from './backend-view.js';

/**
 * Registers a backend. Workers whose GANTRY_WORKER_TAGS it covers pick it up at their next
 * registry refresh and start probing and dispatching to it. An existing id is CONFLICT. Audited
 * in the same transaction.
 */
export async function createBackend(ctx: BackendContext, input: BackendConfig, actor: AuditActor): Promise<BackendView> {
  let row;
  try {
    row = await ctx.deps.db.$transaction(async (tx) => {
      const created = await createBackendRow(tx, input);
      const details = { kind: created.kind, url: created.url, capacity: created.capacity, tags: created.tags };
      await recordAuditEvents(tx, auditEvents(actor, 'backend.created', { type: 'backend', id: created.id }, details));
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', `A backend with id "${input.id}" already exists`);
    throw err;
  }
  await ctx.announceChange();
  // Health left behind under this id (a deleted namesake probed one last time) must not leak in.
  await ctx.health.store.forget(input.id);
  const [view] = await viewsOf(ctx, [row]);
  return view!;
}
