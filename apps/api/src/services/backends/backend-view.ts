import { routePath } from '@gantry/contract/zod-free';
import type { Backend } from '@gantry/db';
import type { BackendView } from '@gantry/domain';
import { consecutiveFailures, readBackendInfo, type HealthView } from '@gantry/fleet';

/** A backend as the API returns it: the shape is `backendViewSchema` of @gantry/domain (the OpenAPI document's). */
export type { BackendView };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Joins the three sources: the row (configuration, drain flag, persisted info), the shared
 * health (live state and probe facts, fresher than the row's info) and the lease count.
 */
export function backendView(
  row: Backend,
  health: HealthView,
  inFlight: number,
  options: { detail?: boolean } = {},
): BackendView & { url: string } {
  const s = health.snapshot;
  const info = readBackendInfo(row.info);
  const nodeTypeCount = s?.nodeTypeCount ?? info?.nodeTypes?.length ?? null;
  const self = routePath('getBackend', { id: row.id });
  return {
    id: row.id,
    kind: row.kind,
    url: row.url,
    capacity: row.capacity,
    tags: row.tags,
    state: health.state,
    breaker: health.breaker,
    inFlight,
    draining: row.draining,
    consecutiveFailures: s ? consecutiveFailures(s) : 0,
    lastProbeAt: iso(s?.lastProbeAt ?? null),
    lastOkAt: iso(s?.lastOkAt ?? null),
    lastError: s?.lastError ?? null,
    openUntil: health.breaker === 'closed' ? null : iso(s?.openUntil ?? null),
    probe: {
      version: s?.version ?? info?.version ?? null,
      deviceName: s?.deviceName ?? info?.deviceName ?? null,
      vram: { totalMb: s?.vramTotalMb ?? info?.vramTotalMb ?? null, freeMb: s?.vramFreeMb ?? null },
      nodeTypeCount,
      ...(options.detail ? { nodeTypes: info?.nodeTypes ?? null, models: info?.models ?? null } : {}),
      learnedAt: info?.learnedAt ?? null,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    links: { self, drain: `${self}/drain`, undrain: `${self}/undrain` },
  };
}
