import { AppError, BACKEND_ID_RE } from '@gantry/domain';
import { findBackend, listBackends, type Backend } from '@gantry/db';
import type { BackendContext } from './backend-context.js';
import { backendView, type BackendView } from './backend-view.js';

/** Views of rows: health and lease counts read in one round trip each. */
export async function viewsOf(ctx: BackendContext, rows: Backend[], options: { detail?: boolean } = {}): Promise<BackendView[]> {
  const ids = rows.map((r) => r.id);
  const [health, inFlight] = await Promise.all([ctx.health.views(rows), ctx.leases.inFlight(ids)]);
  return rows.map((row) => backendView(row, health.get(row.id)!, inFlight[row.id] ?? 0, options));
}

/** Every registered backend, sorted by id. */
export async function listBackendViews(ctx: BackendContext): Promise<BackendView[]> {
  return viewsOf(ctx, await listBackends(ctx.deps.db));
}

/** One backend's row, or NOT_FOUND. */
export async function findBackendRow(ctx: BackendContext, id: string): Promise<Backend> {
  const row = BACKEND_ID_RE.test(id) ? await findBackend(ctx.deps.db, id) : null;
  if (!row) throw new AppError('NOT_FOUND', 'No such backend');
  return row;
}

/** One backend with its node type names and model files. */
export async function getBackendView(ctx: BackendContext, id: string): Promise<BackendView> {
  const [view] = await viewsOf(ctx, [await findBackendRow(ctx, id)], { detail: true });
  return view!;
}
