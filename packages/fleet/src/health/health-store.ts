import { redisScript, runScript, type RedisClient } from '@gantry/queue';
import type { HealthSnapshot } from './breaker.js';
import { acceptingKey, healthKey, probeLockKey } from './health-keys.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

/**
 * Compare-and-set of a snapshot. KEYS[1] the hash; ARGV[1] the revision read ('' when absent);
 * ARGV[2] key TTL (ms); ARGV[3..] field/value pairs. Writes and bumps `rev` only when nobody
 * wrote in between; returns 1 when written, 0 on conflict (the caller re-reads and retries).
 */
const CAS_SNAPSHOT = redisScript(
  'gantryHealthCas',
  `
local rev = redis.call('HGET', KEYS[1], 'rev') or ''
if rev ~= ARGV[1] then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'rev', (tonumber(rev) or 0) + 1, unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);

/**
 * Sets the drain mirror. KEYS[1] the hash; ARGV[1] '1' or '0'; ARGV[2] TTL (ms). The TTL is only
 * ever extended: a writer with a shorter TTL (the API) must not make a worker's open breaker
 * expire during its cooldown.
 */
const SET_DRAINING = redisScript(
  'gantryHealthSetDraining',
  `
redis.call('HSET', KEYS[1], 'draining', ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
);

/**
 * Lua function `beginAccepting(key, pruneBefore, bound, token, ttl)`: records a prompt submission
 * in the accepting set `key` as `token`, in flight until `bound` (its score), after dropping the
 * entries that ended before `pruneBefore`; the key lives `ttl` ms. Shared by BEGIN_ACCEPTING and
 * the slot lease script, which starts the record with the lease (see SlotLeases.acquireChecked).
 */
export const BEGIN_ACCEPTING_LUA = `local function beginAccepting(key, pruneBefore, bound, token, ttl)
redis.call('ZREMRANGEBYSCORE', key, '-inf', pruneBefore)
redis.call('ZADD', key, bound, token)
redis.call('PEXPIRE', key, ttl)
end
`;

/**
 * Starts a prompt submission's record, one command: KEYS[1] the accepting set; ARGV[1] prune
 * before (ms), ARGV[2] the bound (score), ARGV[3] the token, ARGV[4] the key's TTL (ms).
 */
const BEGIN_ACCEPTING = redisScript(
  'gantryHealthBeginAccepting',
  `${BEGIN_ACCEPTING_LUA}beginAccepting(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1
`,
);

/**
 * Lua function `forgiveStrikes(key, ttl)`: forgives the job strikes of the backend whose health
 * hash is `key` (a job succeeded there). Writes, bumping `rev` as every snapshot write does, only
 * when a snapshot is stored and its strikes are above 0 (the key then lives `ttl` ms); returns 1
 * when it wrote. The common case (no strikes) is one read of one field inside Redis, with nothing
 * sent back to decode. Used by the slot release and hand-over scripts, which forgive with the
 * release (see SlotLeases.release) instead of a command of their own.
 */
export const FORGIVE_STRIKES_LUA = `local function forgiveStrikes(key, ttl)
if redis.call('HEXISTS', key, 'phase') == 0 then return 0 end
local strikes = tonumber(redis.call('HGET', key, 'strikes') or '') or 0
if strikes <= 0 then return 0 end
local rev = redis.call('HGET', key, 'rev') or ''
redis.call('HSET', key, 'rev', (tonumber(rev) or 0) + 1, 'strikes', '0')
redis.call('PEXPIRE', key, ttl)
return 1
end
`;

/** The arguments of a prompt submission's record (BEGIN_ACCEPTING's ARGV[1], [2] and [4]) started at `now`, in flight until `boundAt`. */
export function acceptingWindow(now: number, boundAt: number): { pruneBefore: number; bound: number; ttlMs: number } {
  return { pruneBefore: now - ACCEPTING_KEEP_MS, bound: boundAt, ttlMs: ACCEPTING_KEEP_MS + (boundAt - now) };
}

/** How long a finished prompt submission stays on record (it only matters to probes running meanwhile). */
export const ACCEPTING_KEEP_MS = 60_000;

/** One backend's shared health, as read from Redis. */
export interface StoredHealth {
  /** Null when nothing was ever recorded (or the hash expired). */
  snapshot: HealthSnapshot | null;
  /** The drain flag mirrored from PostgreSQL by the API (PostgreSQL stays the source of truth). */
  draining: boolean;
  /** Revision for compare-and-set; '' when absent. */
  rev: string;
}

export interface HealthStoreOptions {
  /** Key prefix (GANTRY_QUEUE_PREFIX). */
  prefix: string;
  /** Hashes expire when nobody refreshes them (no worker serves the backend any more). Default 60 s. */
  ttlMs?: number;
}

/**
 * The shared health view in Redis: one hash per backend, `${prefix}:backend:${id}`, so every
 * worker and API instance sees the same state. Writers change it through {@link update}, a
 * read-modify-write with compare-and-set on a revision field, so concurrent probes and strikes
 * from several workers never lose each other's counts.
 */
export class HealthStore {
  readonly ttlMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: HealthStoreOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  get prefix(): string {
    return this.options.prefix;
  }

  async read(backendId: string): Promise<StoredHealth> {
    return storedHealthOf(await this.redis.hgetall(healthKey(this.prefix, backendId)));
  }

  /**
   * Several backends in one round trip: the reads are written back to back and awaited together.
   * Not an ioredis pipeline, whose construction copies every script defined on the connection
   * (BullMQ's and ours, ~70) and cost more CPU than the reads themselves (bench/README.md, "Reads").
   */
  async readMany(backendIds: readonly string[]): Promise<Map<string, StoredHealth>> {
    const hashes = await Promise.all(backendIds.map((id) => this.redis.hgetall(healthKey(this.prefix, id))));
    return new Map(backendIds.map((id, i) => [id, storedHealthOf(hashes[i]!)]));
  }

  /**
   * Atomically replaces a backend's snapshot with `change(current)` (current is null when
   * nothing is stored). Returning null from `change` writes nothing. Retries on concurrent
   * writes; returns the snapshot written (or null when nothing was).
   */
  async update(backendId: string, change: (current: HealthSnapshot | null) => HealthSnapshot | null): Promise<HealthSnapshot | null> {
    const key = healthKey(this.prefix, backendId);
    for (let attempt = 0; attempt < 50; attempt++) {
      const stored = await this.read(backendId);
      const next = change(stored.snapshot);
      if (!next) return null;
      const written = await runScript<number>(this.redis, CAS_SNAPSHOT, [key], [stored.rev, this.ttlMs, ...encodeSnapshot(next)]);
      if (written === 1) return next;
      // Lost a race: back off a random while (growing) so contenders spread out.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new Error(`health of backend ${backendId}: too many concurrent updates`);
  }

  /** Mirrors the drain flag (set by the API after it updated PostgreSQL). */
  async setDraining(backendId: string, draining: boolean): Promise<void> {
    await runScript(this.redis, SET_DRAINING, [healthKey(this.prefix, backendId)], [draining ? '1' : '0', this.ttlMs]);
  }

  /** Forgets a deleted backend. */
  async forget(backendId: string): Promise<void> {
    await this.redis.del(healthKey(this.prefix, backendId), probeLockKey(this.prefix, backendId), acceptingKey(this.prefix, backendId));
  }

  /**
   * Records that a worker started handing a prompt to the backend (ComfyUI `POST /prompt`), as
   * `token`, in flight until at most `boundAt` (if the worker dies meanwhile, the record ends
   * then by itself). Entries older than {@link ACCEPTING_KEEP_MS} are pruned.
   */
  async beginAccepting(backendId: string, token: string, now: number, boundAt: number): Promise<void> {
    const w = acceptingWindow(now, boundAt);
    await runScript(this.redis, BEGIN_ACCEPTING, [acceptingKey(this.prefix, backendId)], [w.pruneBefore, w.bound, token, w.ttlMs]);
  }

  /** Records when that submission ended (it stays on record for {@link ACCEPTING_KEEP_MS}). */
  async endAccepting(backendId: string, token: string, endedAt: number): Promise<void> {
    await this.redis.zadd(acceptingKey(this.prefix, backendId), 'XX', endedAt, token);
  }

  /** Whether a prompt was being handed to the backend at any time since `since` (one still in flight included). */
  async acceptedSince(backendId: string, since: number): Promise<boolean> {
    return (await this.redis.zcount(acceptingKey(this.prefix, backendId), since, '+inf')) > 0;
  }

  /** Takes the probe turn for a backend for `ms`; false when another worker holds it. */
  async tryLockProbe(backendId: string, owner: string, ms: number): Promise<boolean> {
    const ok = await this.redis.set(probeLockKey(this.prefix, backendId), owner, 'PX', Math.max(1, Math.round(ms)), 'NX');
    return ok === 'OK';
  }
}

/** A backend's health hash (HGETALL) as StoredHealth. */
export function storedHealthOf(hash: Record<string, string> | null | undefined): StoredHealth {
  const h = hash ?? {};
  return { snapshot: decodeSnapshot(h), draining: h.draining === '1', rev: h.rev ?? '' };
}
