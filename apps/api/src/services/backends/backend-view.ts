import type { Backend } from '@gantry/db';
import { consecutiveFailures, readBackendInfo, type BackendState, type BreakerPhase, type HealthView } from '@gantry/fleet';

/** A backend as the API returns it. */
export interface BackendView {
  id: string;
  kind: 'comfyui' | 'a1111';
  url: string;
  capacity: number;
  tags: string[];
  state: BackendState;
  breaker: BreakerPhase;
  /** Live slot leases (jobs running on it), across all workers. */
  inFlight: number;
  draining: boolean;
  consecutiveFailures: number;
  lastProbeAt: string | null;
  lastOkAt: string | null;
  lastError: string | null;
  /** Set while the breaker is open: when its half-open probe may run. */
  openUntil: string | null;
  probe: {
    version: string | null;
    deviceName: string | null;
    vram: { totalMb: number | null; freeMb: number | null };
    /** How many node types it offers (ComfyUI); null until learned. */
    nodeTypeCount: number | null;
    /** The node type names: only on `GET /backends/{id}`. */
    nodeTypes?: string[] | null;
    learnedAt: string | null;
  };
  createdAt: string;
  updatedAt: string;
  links: { self: string; drain: string; undrain: string };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Joins the three sources: the row (configuration, drain flag, persisted info), the shared
 * health (live state and probe facts, fresher than the row's info) and the lease count.
 */
export function backendView(row: Backend, health: HealthView, inFlight: number, options: { detail?: boolean } = {}): BackendView {
  const s = health.snapshot;
  const info = readBackendInfo(row.info);
  const nodeTypeCount = s?.nodeTypeCount ?? info?.nodeTypes?.length ?? null;
  const self = `/api/v1/backends/${encodeURIComponent(row.id)}`;
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
      ...(options.detail ? { nodeTypes: info?.nodeTypes ?? null } : {}),
      learnedAt: info?.learnedAt ?? null,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    links: { self, drain: `${self}/drain`, undrain: `${self}/undrain` },
  };
}
