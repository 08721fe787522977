/**
 * Backend slot leasing, atomic across every worker process (one Redis script).
 *
 * KEYS[1..n]  lease sorted set of candidate backend i: member = lease id, score = expiry (ms)
 * KEYS[n+1]   running-lease set of the job's tenant (same shape), for the per-tenant running cap
 * ARGV[1] now (ms)   ARGV[2] lease TTL (ms)   ARGV[3] lease id   ARGV[4] rotation offset
 * ARGV[5] policy: "lc" least-connections, "rr" round-robin (the benchmark's baseline)
 * ARGV[6] tenant running cap (0 = none)
 * ARGV[7 + 2(i-1)] capacity of candidate i, ARGV[8 + 2(i-1)] 1 when candidate i already holds
 * the job's model in memory (warm), else 0
 *
 * Least-connections picks the lowest in-flight/capacity; ties go to a warm backend, then to the
 * one with fewer jobs, then by rotation, so load spreads. Expired leases (a worker that died
 * without releasing) are dropped first, so a killed worker never holds a slot longer than the TTL.
 * Returns the chosen candidate's index (1-based), 0 when every candidate is full, -1 when the
 * tenant is at its running cap.
 */
export const ACQUIRE_LEASE_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local n = #KEYS - 1
local offset = tonumber(ARGV[4]) % n
local policy = ARGV[5]
local tenantCap = tonumber(ARGV[6])
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
  local cap = tonumber(ARGV[7 + 2 * (i - 1)])
  local warm = tonumber(ARGV[8 + 2 * (i - 1)])
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
  redis.call('ZADD', KEYS[best], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[best], ttl * 2)
  redis.call('ZADD', tenantKey, now + ttl, ARGV[3])
  redis.call('PEXPIRE', tenantKey, ttl * 2)
end
return best
`;

/**
 * Renews a lease if it is still live. KEYS[1] backend lease set, KEYS[2] tenant running set;
 * ARGV[1] lease id, ARGV[2] now (ms), ARGV[3] new expiry, ARGV[4] key TTL (ms). Returns 1 when
 * renewed, 0 when the lease had expired (it is removed: its slot may belong to someone else).
 */
export const RENEW_LEASE_LUA = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
`;
