import { AppError } from '@gantry/domain';
import { isNotFound } from '@gantry/db';
import type { BackendContext } from './backend-context.js';
import { BACKEND_ID_RE } from './backend-schemas.js';
import { viewsOf } from './load-backends.js';
import type { BackendView } from './backend-view.js';

/**
 * Drains (no new jobs; running ones finish) or undrains a backend. PostgreSQL holds the flag;
 * it is mirrored into the shared health in Redis so dispatch sees it at once, before the
 * workers' next registry refresh. Idempotent.
 */
export async function setDraining(ctx: BackendContext, id: string, draining: boolean): Promise<BackendView> {
  if (!BACKEND_ID_RE.test(id)) throw new AppError('NOT_FOUND', 'No such backend');
  let row;
  try {
    row = await ctx.deps.db.backend.update({ where: { id }, data: { draining } });
  } catch (err) {
    if (isNotFound(err)) throw new AppError('NOT_FOUND', 'No such backend');
    throw err;
  }
  await ctx.health.store.setDraining(id, draining);
  const [view] = await viewsOf(ctx, [row]);
  return view!;
}
