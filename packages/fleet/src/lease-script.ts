import { redisScript } from '@gantry/queue';

/**
 * Time in every lease script is Redis's clock (TIME, in ms), never the caller's: leases are
 * written and judged by many workers, whose clocks need not agree. (Redis 5+ replicates a
 * script's effects, so reading TIME before writing is allowed.)
 */
const REDIS_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Backend slot leasing, atomic across every worker process (one Redis script).
 *
 * KEYS[1..n]  lease sorted set of candidate backend i: member = lease id, score = expiry (ms)
 * KEYS[n+1]   running-lease set of the job's tenant (same shape), for the per-tenant running cap
 * ARGV[1] lease TTL (ms)   ARGV[2] lease id   ARGV[3] rotation offset
 * ARGV[4] policy: "lc" least-connections, "rr" round-robin (the benchmark's baseline)
 * ARGV[5] tenant running cap (0 = none)
 * ARGV[6 + 2(i-1)] capacity of candidate i, ARGV[7 + 2(i-1)] 1 when candidate i already holds
 * the job's model in memory (warm), else 0
 *
 * Least-connections picks the lowest in-flight/capacity; ties go to a warm backend, then to the
 * one with fewer jobs, then by rotation, so load spreads. Expired leases (a worker that died
 * without releasing) are dropped first, so a killed worker never holds a slot longer than the TTL.
 * Returns the chosen candidate's index (1-based), 0 when every candidate is full, -1 when the
 * tenant is at its running cap.
 */
export const ACQUIRE_LEASE = redisScript(
  'gantryAcquireLease',
  `${REDIS_NOW_MS}
local ttl = tonumber(ARGV[1])
local n = #KEYS - 1
local offset = tonumber(ARGV[3]) % n
local policy = ARGV[4]
local tenantCap = tonumber(ARGV[5])
local tenantKey = KEYS[n + 1]
if tenantCap > 0 then
  redis.call('ZREMRANGEBYSCORE', tenantKey, '-inf', now)
  if redis.call('ZCARD', tenantKey) >= tenantCap then return -1 end
end
local best = 0
local bestLoad = 2
local bestWarm = -1
local bestUsed = 0
for j = 0, n - 1 do
  local i = ((j + offset) % n) + 1
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local used = redis.call('ZCARD', KEYS[i])
  local cap = tonumber(ARGV[6 + 2 * (i - 1)])
  local warm = tonumber(ARGV[7 + 2 * (i - 1)])
  if used < cap then
    if policy == 'rr' then
      best = i
      break
    end
    local load = used / cap
    if load < bestLoad
      or (load == bestLoad and warm > bestWarm)
      or (load == bestLoad and warm == bestWarm and used < bestUsed) then
      best = i
      bestLoad = load
      bestWarm = warm
      bestUsed = used
    end
  end
end
if best > 0 then
  redis.call('ZADD', KEYS[best], now + ttl, ARGV[2])
  redis.call('PEXPIRE', KEYS[best], ttl * 2)
  redis.call('ZADD', tenantKey, now + ttl, ARGV[2])
  redis.call('PEXPIRE', tenantKey, ttl * 2)
end
return best
`,
);

/**
 * Renews a lease if it is still live. KEYS[1] backend lease set, KEYS[2] tenant running set;
 * ARGV[1] lease id, ARGV[2] lease TTL (ms): the new expiry is now + TTL, the keys live twice the
 * TTL. Returns 1 when renewed, 0 when the lease had expired (it is removed: its slot may belong
 * to someone else).
 */
export const RENEW_LEASE = redisScript(
  'gantryRenewLease',
  `${REDIS_NOW_MS}
local ttl = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > now then
  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
`,
);

/** Live (unexpired) leases of each backend: KEYS[i] lease set of backend i; returns the counts in order. */
export const COUNT_LIVE_LEASES = redisScript(
  'gantryCountLiveLeases',
  `${REDIS_NOW_MS}
local counts = {}
for i = 1, #KEYS do counts[i] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') end
return counts
`,
);
