import { systemClock, type Clock } from '@gantry/domain';
import type { EligibilityBackend } from './eligibility.js';

/** A backend as submit's eligibility check judges it. */
export type IndexedBackend = EligibilityBackend & { id: string };

export interface FleetIndexOptions {
  /** Reads every registered backend (PostgreSQL). */
  load(): Promise<IndexedBackend[]>;
  /** A list older than this is read again even when no change was announced (a write that did not announce); default 5 s. */
  maxAgeMs?: number;
  clock?: Clock;
}

/**
 * The registered backends in memory, for the eligibility check of every submit: read again only
 * when the fleet's version token in Redis moved (announceFleetChange of @gantry/queue, set after
 * every write of the `backends` table: registration, deletion, drain, learned info), when the
 * list is older than `maxAgeMs`, or when the token could not be read (Redis down: then every
 * submit reads the list, as before). Concurrent submits share one read. The records keep their
 * arrays between submits, so the eligibility rule's per-list sets (node types, models) are built
 * once per change, not per request: a check costs O(nodes of the workflow) per backend examined.
 */
export class FleetIndex {
  private list: { version: string | null; at: number; backends: IndexedBackend[] } | null = null;
  /** The read in progress and the token it was started under: only a submit that read the same token shares it. */
  private loading: { version: string | null | undefined; list: Promise<IndexedBackend[]> } | null = null;
  private reads = 0;
  private readonly clock: Clock;

  constructor(private readonly options: FleetIndexOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The backends as of `version` (the token just read from Redis; undefined: it could not be
   * read, so the list is read from PostgreSQL now).
   */
  async backends(version: string | null | undefined): Promise<readonly IndexedBackend[]> {
    const list = this.list;
    if (version !== undefined && list && list.version === version && this.clock.now() - list.at < (this.options.maxAgeMs ?? 5000)) return list.backends;
    return this.reload(version);
  }

  /**
   * The list kept (the array backends() returns while it is current), without checking its
   * version: for a reader that starts reading something per backend in the same round trip as the
   * token, then keeps that read if backends() gives this same array. Null when none is kept.
   */
  kept(): readonly IndexedBackend[] | null {
    return this.list?.backends ?? null;
  }

  private reload(version: string | null | undefined): Promise<IndexedBackend[]> {
    if (version !== undefined && this.loading?.version === version) return this.loading.list;
    // Started after the token was read: a change announced after this point moves the token
    // again, so a list read too early is never kept under a newer token.
    const started = ++this.reads;
    const at = this.clock.now(); // the rows' age counts from the read, not from its answer
    const list = this.options.load().then((backends) => {
      // A read started later may have finished first: the newest read wins.
      if (started === this.reads) this.list = version === undefined ? null : { version, at, backends };
      return backends;
    });
    const loading = { version, list };
    this.loading = loading;
    void list.finally(() => {
      if (this.loading === loading) this.loading = null;
    }).catch(() => undefined);
    return list;
  }
}
