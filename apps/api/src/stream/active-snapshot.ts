import { jobView } from '@gantry/domain';
import { readTenantActiveJobViews } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { viewLinks, viewsPresign } from '../services/presign.js';
import { textFrame } from './ws-frame.js';

/** The newest jobs of a tenant an `all` subscription looks at for active ones (snapshots). */
const ACTIVE_WINDOW = 100;

/** What an `all` subscription starts with, read once for every socket of a tenant that waits for it. */
export interface ActiveSnapshot {
  /** The tenant's active jobs, newest first, each with the last sequence number its snapshot shows. */
  jobs: Array<{ id: string; lastSeq: number }>;
  /** Their `snapshot` messages as WebSocket frames back to back, serialized once (null: none). */
  frames: Buffer | null;
}

/** One statement for every active job's view (not five per job), framed once. */
export async function readActiveSnapshot(deps: ApiDeps, tenantId: string): Promise<ActiveSnapshot> {
  const rows = await readTenantActiveJobViews(deps.db, tenantId, { window: ACTIVE_WINDOW, storageKeys: viewsPresign(deps) });
  const links = await viewLinks(deps, rows.flatMap((r) => r.artifacts));
  const frames = rows.map((r) => textFrame(JSON.stringify({ type: 'snapshot', job: jobView(r, r.artifacts, { inputs: r.inputs, links }), lastSeq: r.lastSeq })));
  return { jobs: rows.map((r) => ({ id: r.id, lastSeq: r.lastSeq })), frames: frames.length ? Buffer.concat(frames) : null };
}
