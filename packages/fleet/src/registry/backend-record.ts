import type { BackendConfig } from '../backend-config.js';
import { readBackendInfo, type BackendInfo } from '../health/backend-info.js';

/** A registered backend as the fleet knows it: its configuration, drain flag and learned info. */
export interface BackendRecord extends BackendConfig {
  /** Drained by an operator: no new jobs; running ones finish. */
  draining: boolean;
  /** What probes learned (PostgreSQL `Backend.info`); null until the first probe persisted it. */
  info: Partial<BackendInfo> | null;
}

/** Where the registry reads the backends from (PostgreSQL in a worker; anything in tests). */
export interface BackendSource {
  list(): Promise<BackendRecord[]>;
}

/** The columns of a `backends` row the registry needs (structurally a Prisma `Backend`). */
export interface BackendRowLike {
  id: string;
  kind: string;
  url: string;
  capacity: number;
  tags: string[];
  draining: boolean;
  info: unknown;
}

/** Maps a database row to a record (`info` is read defensively: it is JSON written by probes). */
export function recordFromRow(row: BackendRowLike): BackendRecord {
  return {
    id: row.id,
    kind: row.kind === 'a1111' ? 'a1111' : 'comfyui',
    url: row.url,
    capacity: row.capacity,
    tags: [...row.tags],
    draining: row.draining,
    info: readBackendInfo(row.info),
  };
}

/** Whether a worker with `workerTags` serves a backend: the backend carries every one of them. */
export function servesTags(record: { tags: readonly string[] }, workerTags: readonly string[]): boolean {
  return workerTags.every((t) => record.tags.includes(t));
}
