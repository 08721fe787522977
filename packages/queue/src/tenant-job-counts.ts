import type { RedisClient } from './connection.js';
import { fleetVersionKey } from './fleet-version.js';
import { redisScript, runScript } from './redis-script.js';

/** A tenant's active jobs: waiting in the queue, and held by a worker (`dispatched` or `running`). */
export interface ActiveCounts {
  queued: number;
  running: number;
}

/** A change of one tenant's counts (a submit: queued +1; a dispatch: queued -1, running +1; ...). */
export interface CountChange {
  tenantId: string;
  queued: number;
  running: number;
}

/** What a submit reads from Redis before it writes: the tenant's counts (null: not kept yet) and the fleet's version. */
export interface SubmitState {
  /** The counts before this submit (its reservation not included). */
  counts: ActiveCounts | null;
  /** Whether one queued job was added to the kept counts for this submit (see submitState). */
  reserved: boolean;
  /** The last announced change of the registered backends (announceFleetChange); null when none is known. */
  fleetVersion: string | null;
  /**
   * The fair-share rank of the first of the jobs this submit ranks (`rankJobs`), the next ones
   * following one by one; null when the counts are not kept or no job was ranked (see submitState).
   */
  firstRank: number | null;
}

/**
 * The hash of every tenant's counts: fields `<tenant id>:q` and `<tenant id>:r`, and `<tenant
 * id>:t`, the rank given to the tenant's newest job (the tail, which keeps its queue FIFO).
 */
export function tenantCountsKey(prefix: string): string {
  return `${prefix}:tenant-jobs`;
}

// A submit's read, its reservation and its ranks in one step, so concurrent submits of a tenant
// (on any API instance) get ranks in the order Redis serves them. A job's rank is its tenant's
// active jobs (queued and held) when it arrives, but never below the rank of the tenant's newest
// job while the tenant still has queued ones: jobs that end between two submits would otherwise
// let the later one overtake the earlier within the tenant (equal ranks are served FIFO).
const READ = redisScript(
  'gantrySubmitState',
  `local q = redis.call('HGET', KEYS[1], ARGV[1] .. ':q')
   local r = redis.call('HGET', KEYS[1], ARGV[1] .. ':r')
   local rank = false
   if q and r then
     local n = tonumber(ARGV[3])
     if n > 0 then
       rank = tonumber(q) + tonumber(r)
       local tail = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':t') or '-1')
       if tonumber(q) > 0 and tail > rank then rank = tail end
       redis.call('HSET', KEYS[1], ARGV[1] .. ':t', rank + n - 1)
     end
     if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':q', 1) end
   end
   return {q or false, r or false, redis.call('GET', KEYS[2]) or false, rank}`,
);

// A tenant's counts change only while they are kept: an increment of a missing field would
// start it from this change alone instead of the tenant's real count.
const APPLY = redisScript(
  'gantryTenantCountsApply',
  `for i = 1, #ARGV, 3 do
     if redis.call('HEXISTS', KEYS[1], ARGV[i] .. ':q') == 1 then
       redis.call('HINCRBY', KEYS[1], ARGV[i] .. ':q', ARGV[i + 1])
       redis.call('HINCRBY', KEYS[1], ARGV[i] .. ':r', ARGV[i + 2])
     end
   end
   return 1`,
);

const SEED = redisScript(
  'gantryTenantCountsSeed',
  `if redis.call('HEXISTS', KEYS[1], ARGV[1] .. ':q') == 1 then return 0 end
   redis.call('HSET', KEYS[1], ARGV[1] .. ':q', ARGV[2], ARGV[1] .. ':r', ARGV[3])
   return 1`,
);

/**
 * Per-tenant counts of queued and held jobs, kept in Redis so a submit's fair-share rank and the
 * tenant's queued cap cost no PostgreSQL scan. The job door applies every committed change
 * (submit, dispatch, requeue, end); a tenant without counts yet is counted in PostgreSQL once and
 * seeded; the reconciler corrects a drift (a change whose update was lost: a crash between the
 * commit and Redis, a Redis outage or flush). PostgreSQL stays the record.
 */
export class TenantJobCounts {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.key = tenantCountsKey(prefix);
  }

  /**
   * The submit's one Redis call before its insert: the tenant's counts and the fleet's version;
   * with `reserve`, one queued job is added to the tenant's counts at once when they are kept (the
   * job door then adds nothing at the commit; a submit that ends without a queued job releases it);
   * with `rankJobs`, that many jobs get their fair-share ranks (`firstRank`, +1, ...; see READ).
   */
  async submitState(tenantId: string, reserve = false, rankJobs = 0): Promise<SubmitState> {
    const [q, r, version, rank] = await runScript<[string | null, string | null, string | null, number | null]>(
      this.redis,
      READ,
      [this.key, fleetVersionKey(this.prefix)],
      [tenantId, reserve ? 1 : 0, rankJobs],
    );
    const counts = q === null || r === null ? null : { queued: Number(q), running: Number(r) };
    return { counts, reserved: reserve && counts !== null, fleetVersion: version, firstRank: rank === null ? null : Number(rank) };
  }

  /** Starts keeping a tenant's counts from PostgreSQL's (a no-op when they are kept already). */
  async seed(tenantId: string, counts: ActiveCounts): Promise<void> {
    await runScript(this.redis, SEED, [this.key], [tenantId, counts.queued, counts.running]);
  }

  /** Applies committed changes (tenants not kept are left alone). */
  async apply(changes: readonly CountChange[]): Promise<void> {
    const args = changes.filter((c) => c.queued !== 0 || c.running !== 0).flatMap((c) => [c.tenantId, c.queued, c.running]);
    if (args.length === 0) return;
    await runScript(this.redis, APPLY, [this.key], args);
  }

  /** Every kept tenant's counts (for the reconciler). */
  async all(): Promise<Map<string, ActiveCounts>> {
    const fields = await this.redis.hgetall(this.key);
    const out = new Map<string, ActiveCounts>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.endsWith(':t')) continue; // a tail rank, not a count
      const tenantId = field.slice(0, -2);
      const counts = out.get(tenantId) ?? { queued: 0, running: 0 };
      if (field.endsWith(':q')) counts.queued = Number(value);
      else counts.running = Number(value);
      out.set(tenantId, counts);
    }
    return out;
  }

  /** Forgets every tenant's counts (they are counted in PostgreSQL again on their next submit). */
  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
