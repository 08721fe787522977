import { redisScript } from '@gantry/queue';
import { BEGIN_ACCEPTING_LUA, FORGIVE_STRIKES_LUA } from './health/health-store.js';

/**
 * Time in every lease script is Redis's clock (TIME, in ms), never the caller's: leases are
 * written and judged by many workers, whose clocks need not agree. (Redis 5+ replicates a
 * script's effects, so reading TIME before writing is allowed.)
 */
const REDIS_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** The body of ACQUIRE_LEASE as a Lua function `acquire()` returning {code, warm, lease} (see ACQUIRE_LEASE below). */
const ACQUIRE_FUNCTION = `${BEGIN_ACCEPTING_LUA}local function acquire()
local ttl = tonumber(ARGV[1])
local n = tonumber(ARGV[6])
local g = tonumber(ARGV[7])
local model = ARGV[8]
local offset = tonumber(ARGV[3]) % n
local policy = ARGV[4]
local tenantCap = tonumber(ARGV[5])
local tenantKey = KEYS[n + 1]
-- The accepting section (see ACQUIRE_LEASE): its first key and argument positions.
local kA = n + 1 + g + ((model ~= '') and 1 or 0)
local aA = 8 + 2 * n + 2 * g + ((model ~= '') and n or 0)
for j = 1, g do
  local h = redis.call('HMGET', KEYS[n + 1 + j], 'rev', 'draining')
  local rev = h[1] or ''
  local draining = (h[2] == '1') and '1' or '0'
  if rev ~= ARGV[9 + 2 * n + 2 * (j - 1)] or draining ~= ARGV[10 + 2 * n + 2 * (j - 1)] then return {-2, 0, ''} end
end
local warmOf = {}
if model ~= '' then
  local ids = {}
  for i = 1, n do ids[i] = ARGV[9 + 2 * n + 2 * g + (i - 1)] end
  local names = redis.call('HMGET', KEYS[n + 2 + g], unpack(ids))
  for i = 1, n do warmOf[i] = (names[i] == model) and 1 or 0 end
else
  for i = 1, n do warmOf[i] = tonumber(ARGV[10 + 2 * (i - 1)]) end
end
if tenantCap > 0 then
  redis.call('ZREMRANGEBYSCORE', tenantKey, '-inf', now)
  if redis.call('ZCARD', tenantKey) >= tenantCap then return {-1, 0, ''} end
end
local best = 0
local bestLoad = 2
local bestWarm = -1
local bestUsed = 0
for j = 0, n - 1 do
  local i = ((j + offset) % n) + 1
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local used = redis.call('ZCARD', KEYS[i])
  local cap = tonumber(ARGV[9 + 2 * (i - 1)])
  local warm = warmOf[i]
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
  local lease = ARGV[2] .. '@' .. now
  redis.call('ZADD', KEYS[best], now + ttl, lease)
  redis.call('PEXPIRE', KEYS[best], ttl * 2)
  redis.call('ZADD', tenantKey, now + ttl, lease)
  redis.call('PEXPIRE', tenantKey, ttl * 2)
  if ARGV[aA + 1] == '1' and ARGV[aA + 4 + best] == '1' then
    beginAccepting(KEYS[kA + best], ARGV[aA + 2], ARGV[aA + 3], lease, ARGV[aA + 4])
  end
  return {best, warmOf[best], lease}
end
return {0, 0, ''}
end
`;


/**
 * Backend slot leasing, atomic across every worker process (one Redis script).
 *
 * KEYS[1..n]  lease sorted set of candidate backend i: member = lease id, score = expiry (ms)
 * KEYS[n+1]   running-lease set of the job's tenant (same shape), for the per-tenant running cap
 *             (a lease's member in both sets is `<lease id>@<start>`: ARGV[2] and the time, Redis's
 *             clock in ms, the lease was taken; see leaseStartMs)
 * KEYS[n+1+j] (j = 1..g) a backend's health hash the caller judged eligibility from
 * KEYS[n+2+g] the warm-model map (only when ARGV[8] names a model)
 * ARGV[1] lease TTL (ms)   ARGV[2] lease id   ARGV[3] rotation offset
 * ARGV[4] policy: "lc" least-connections, "rr" round-robin (the benchmark's baseline)
 * ARGV[5] tenant running cap (0 = none)   ARGV[6] n   ARGV[7] g
 * ARGV[8] the job's model ('' = none): candidate i is warm when the warm-model map names it for
 *         the candidate's id (ARGV[9 + 2n + 2g + (i-1)]); without a model, warm is ARGV[10 + 2(i-1)]
 * ARGV[9 + 2(i-1)] capacity of candidate i, ARGV[10 + 2(i-1)] 1 when it is known warm, else 0
 * ARGV[9 + 2n + 2(j-1)], ARGV[10 + 2n + 2(j-1)]: the `rev` and `draining` ('1'/'0') of health hash
 *         j as the caller read them ('' rev: absent)
 * The accepting section, after the last of those (KEYS from kA = n+1+g(+1 with a model), ARGV from
 * aA = 8+2n+2g(+n with a model)): ARGV[aA+1] '1' to start the chosen backend's prompt-submission
 * record with the lease (HealthStore.beginAccepting, one script instead of two per dispatch), then
 * ARGV[aA+2] prune before, ARGV[aA+3] the record's bound, ARGV[aA+4] its key's TTL (the caller's
 * clock, as every accepting record), ARGV[aA+4+i] '1' when candidate i takes such a record (its
 * driver reports submissions), KEYS[kA+i] candidate i's accepting set; the record's token is the
 * lease's member. Without the section (or '0'), no record.
 *
 * The health check makes a health read the caller kept (the intake gate's, a moment ago) as good
 * as one taken now: a probe, strike or drain since then changed a rev or the drain flag, and the
 * script takes nothing (-2) so the caller reads again. Least-connections picks the lowest
 * in-flight/capacity; ties go to a warm backend, then to the one with fewer jobs, then by
 * rotation, so load spreads. Expired leases (a worker that died without releasing) are dropped
 * first, so a killed worker never holds a slot longer than the TTL.
 * Returns {code, warm, lease}: code the chosen candidate's index (1-based), 0 when every candidate is
 * full, -1 when the tenant is at its running cap, -2 when a health hash changed; warm 1 when the
 * chosen candidate was warm; lease the member written ('' when none).
 */
export const ACQUIRE_LEASE = redisScript(
  'gantryAcquireLease',
  `${REDIS_NOW_MS}${ACQUIRE_FUNCTION}return acquire()
`,
);

/**
 * Lua function `announceFreed(r, freedKey, channel, message)`: after a hand-over's acquire() (its
 * result `r`), announces the slot freed in `freedKey` on the lease-freed channel unless the new
 * lease took a slot in that same backend set: a slot that goes straight to the next job wakes no
 * other worker.
 */
const ANNOUNCE_FREED_FUNCTION = `local function announceFreed(r, freedKey, channel, message)
if r[1] <= 0 or KEYS[r[1]] ~= freedKey then redis.call('PUBLISH', channel, message) end
end
`;

/**
 * Hands a slot over: frees one lease and takes one for another job (ACQUIRE_LEASE's choice, its
 * keys and arguments unchanged) in one script. KEYS and ARGV are ACQUIRE_LEASE's, then the freed
 * lease's backend set and its tenant's running set (KEYS[k-1], KEYS[k]: k = #KEYS, or #KEYS - 1 when
 * forgiving) and, when forgiving, the freed lease's backend's health hash (KEYS[#KEYS]); ARGV[#-3]
 * the freed lease id, ARGV[#-2] the lease-freed channel, ARGV[#-1] its message, ARGV[#] the health
 * hash's TTL (ms) to forgive that backend's job strikes (its job succeeded: FORGIVE_STRIKES_LUA),
 * '0' not to. The freed slot is announced on the channel (as RELEASE_LEASE does) only when the new
 * lease is not on that same backend: a slot that goes straight to the next job wakes no other
 * worker. Returns ACQUIRE_LEASE's {code, warm, lease}; the old lease is freed (and its backend's
 * strikes forgiven) whatever the code.
 */
export const HAND_OVER_LEASE = redisScript(
  'gantryHandOverLease',
  `${REDIS_NOW_MS}${FORGIVE_STRIKES_LUA}${ACQUIRE_FUNCTION}${ANNOUNCE_FREED_FUNCTION}local forgiveTtl = tonumber(ARGV[#ARGV])
local k = #KEYS
if forgiveTtl > 0 then k = k - 1 end
local freedKey = KEYS[k - 1]
redis.call('ZREM', freedKey, ARGV[#ARGV - 3])
redis.call('ZREM', KEYS[k], ARGV[#ARGV - 3])
local r = acquire()
announceFreed(r, freedKey, ARGV[#ARGV - 2], ARGV[#ARGV - 1])
if forgiveTtl > 0 then forgiveStrikes(KEYS[#KEYS], forgiveTtl) end
return r
`,
);

/**
 * Renews a lease if it is still live, in whichever set holds it: its backend's slot set while its
 * prompt runs, its backend's finishing set once the prompt ended (FINISH_LEASE). KEYS[1] backend
 * slot set, KEYS[2] tenant running set, KEYS[3] backend finishing set; ARGV[1] lease id, ARGV[2]
 * lease TTL (ms): the new expiry is now + TTL, the keys live twice the TTL. Returns 1 when
 * renewed, 0 when the lease had expired (it is removed: its slot may belong to someone else).
 */
export const RENEW_LEASE = redisScript(
  'gantryRenewLease',
  `${REDIS_NOW_MS}
local ttl = tonumber(ARGV[2])
for _, key in ipairs({KEYS[1], KEYS[3]}) do
  local score = redis.call('ZSCORE', key, ARGV[1])
  if score and tonumber(score) > now then
    redis.call('ZADD', key, 'XX', now + ttl, ARGV[1])
    redis.call('PEXPIRE', key, ttl * 2)
    redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
    redis.call('PEXPIRE', KEYS[2], ttl * 2)
    return 1
  end
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
`,
);

/**
 * Lua function `finishLease(slotKey, finishingKey, aheadKey, lease, ttl, aheadMs)`: the lease's
 * prompt ended on its backend, so its GPU slot is freed while its job still runs (its outputs are
 * collected, its success recorded): the lease moves from the backend's slot set to its finishing
 * set with the same expiry (the finishing set lives twice `ttl`); the tenant's running set keeps it
 * (the tenant running cap counts the job until its attempt is over) and no strike is forgiven (the
 * outputs are not collected yet). `aheadMs` > 0: the slot is freed before its prompt's end
 * (queue-ahead), which is expected in that many ms: the lease goes into the backend's ahead set
 * until then too (score: that end, Redis's clock), so placement knows a prompt sent there now waits
 * behind it (READ_LIVE_LEASES). Returns two values: 1 when a slot was freed (the lease was in the
 * slot set, live or expired), and 1 when the lease moved (it was live). The caller announces the
 * freed slot.
 */
const FINISH_FUNCTION = `local function finishLease(slotKey, finishingKey, aheadKey, lease, ttl, aheadMs)
local score = redis.call('ZSCORE', slotKey, lease)
if not score then return 0, 0 end
redis.call('ZREM', slotKey, lease)
if tonumber(score) <= now then return 1, 0 end
redis.call('ZREMRANGEBYSCORE', finishingKey, '-inf', now)
redis.call('ZADD', finishingKey, score, lease)
redis.call('PEXPIRE', finishingKey, ttl * 2)
if aheadMs > 0 then
  redis.call('ZREMRANGEBYSCORE', aheadKey, '-inf', now)
  redis.call('ZADD', aheadKey, now + aheadMs, lease)
  redis.call('PEXPIRE', aheadKey, ttl * 2)
end
return 1, 1
end
`;

/**
 * The lease's prompt ended on its backend (finishLease above): KEYS[1] the backend's slot set,
 * KEYS[2] its finishing set, KEYS[3] its ahead set; ARGV[1] lease id, ARGV[2] lease-freed channel,
 * ARGV[3] its message, ARGV[4] lease TTL (ms), ARGV[5] in how many ms the prompt is expected to end
 * when its slot is freed before that (queue-ahead; 0: it ended). The freed slot is announced as
 * RELEASE_LEASE does. Returns 1 when the lease moved, 0 when it was not live in the slot set
 * (expired: removed, and its slot was free already).
 */
export const FINISH_LEASE = redisScript(
  'gantryFinishLease',
  `${REDIS_NOW_MS}${FINISH_FUNCTION}local freed, moved = finishLease(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5]))
if freed == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return moved
`,
);

/**
 * A finish that hands over: the lease's prompt ended (finishLease above) and its freed slot goes
 * to another job of this worker in the same script (ACQUIRE_LEASE's choice, its keys and arguments
 * unchanged), instead of FINISH_LEASE, an announcement and a later ACQUIRE_LEASE. KEYS and ARGV are
 * ACQUIRE_LEASE's, then the finished lease's backend slot set, finishing set and ahead set
 * (KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]); ARGV[#ARGV - 3] the finished lease id,
 * ARGV[#ARGV - 2] the lease-freed channel, ARGV[#ARGV - 1] its message, ARGV[#ARGV] FINISH_LEASE's
 * ARGV[5] (the lease TTL is ACQUIRE_LEASE's ARGV[1]). The freed slot is announced only when the new
 * lease is not on that same backend (as HAND_OVER_LEASE). Returns ACQUIRE_LEASE's {code, warm,
 * lease} and a fourth value, 1 when the finished lease moved (0: it had expired); it is finished
 * whatever the code.
 */
export const FINISH_HAND_OVER_LEASE = redisScript(
  'gantryFinishHandOverLease',
  `${REDIS_NOW_MS}${FINISH_FUNCTION}${ACQUIRE_FUNCTION}${ANNOUNCE_FREED_FUNCTION}local freedKey = KEYS[#KEYS - 2]
local freed, moved = finishLease(freedKey, KEYS[#KEYS - 1], KEYS[#KEYS], ARGV[#ARGV - 3], tonumber(ARGV[1]), tonumber(ARGV[#ARGV]))
local r = acquire()
if freed == 1 then announceFreed(r, freedKey, ARGV[#ARGV - 2], ARGV[#ARGV - 1]) end
r[4] = moved
return r
`,
);

/** Live (unexpired) members of each sorted set: KEYS[i] a backend's slot or finishing set; returns the counts in order. */
export const COUNT_LIVE_LEASES = redisScript(
  'gantryCountLiveLeases',
  `${REDIS_NOW_MS}
local counts = {}
for i = 1, #KEYS do counts[i] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') end
return counts
`,
);

/**
 * The live (unexpired) leases of each backend's GPU slots, with Redis's clock, and optionally the
 * render queue's counts read at the same instant: KEYS[1..n] the backends' slot sets, KEYS[n+1..2n]
 * their finishing sets (counted only: jobs past their prompt, see FINISH_LEASE), KEYS[2n+1..3n]
 * their ahead sets (prompts whose slot was freed before their expected end), then (when there are
 * 3n + 3 keys) the queue's waiting list, prioritized set and active list (BullMQ's `wait`,
 * `prioritized`, `active`); ARGV[1] n. Returns {now (ms), queued, taken, finishing (live leases
 * across the finishing sets), members of backend 1, ..., members of backend n, ahead of backend 1,
 * ..., ahead of backend n} (queued and taken -1 without the queue's keys): each member names when
 * its lease was taken (see leaseStartMs), so a caller can tell how long each running job has held
 * its slot on the same clock; a backend's ahead is in how many ms the last of its prompts freed
 * early is expected to end (0: none).
 */
export const READ_LIVE_LEASES = redisScript(
  'gantryReadLiveLeases',
  `${REDIS_NOW_MS}
local n = tonumber(ARGV[1])
local out = {now, -1, -1, 0}
if #KEYS == 3 * n + 3 then
  out[2] = redis.call('LLEN', KEYS[3 * n + 1]) + redis.call('ZCARD', KEYS[3 * n + 2])
  out[3] = redis.call('LLEN', KEYS[3 * n + 3])
end
for i = 1, n do
  out[4] = out[4] + redis.call('ZCOUNT', KEYS[n + i], '(' .. now, '+inf')
  out[i + 4] = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')
  local last = redis.call('ZREVRANGEBYSCORE', KEYS[2 * n + i], '+inf', '(' .. now, 'WITHSCORES', 'LIMIT', 0, 1)
  out[n + i + 4] = last[2] and (tonumber(last[2]) - now) or 0
end
return out
`,
);

/**
 * When a lease was taken (Redis's clock, ms), from its member `<lease id>@<start>`; null for a
 * member without one (written before lease members carried it).
 */
export function leaseStartMs(member: string): number | null {
  const at = member.lastIndexOf('@');
  if (at < 0) return null;
  const start = Number(member.slice(at + 1));
  return Number.isFinite(start) && member.length > at + 1 ? start : null;
}

/**
 * What the intake gate needs, in one round trip: KEYS[1..n] the backends' health hashes,
 * KEYS[n+1..2n] their lease sets. Returns per backend {health hash as field/value list, live
 * (unexpired) leases}.
 */
export const READ_FLEET_STATE = redisScript(
  'gantryReadFleetState',
  `${REDIS_NOW_MS}
local n = #KEYS / 2
local out = {}
for i = 1, n do
  out[i] = {redis.call('HGETALL', KEYS[i]), redis.call('ZCOUNT', KEYS[n + i], '(' .. now, '+inf')}
end
return out
`,
);

/**
 * Ends a lease and tells every worker, one command: KEYS[1] the backend's slot set, KEYS[2] the
 * tenant's running set, KEYS[3] the backend's finishing set, KEYS[4] its ahead set (the lease is
 * removed from all four: a job whose slot was freed early is over, its prompt with it); ARGV[1]
 * lease id, ARGV[2] lease-freed channel ('' for a finished lease: its slot was freed and announced
 * at its prompt's end), ARGV[3] its message. With KEYS[5] (the backend's health hash) and ARGV[4]
 * (its TTL, ms), the backend's job strikes are forgiven in the same script (its job's success was
 * recorded: FORGIVE_STRIKES_LUA).
 */
export const RELEASE_LEASE = redisScript(
  'gantryReleaseLease',
  `${FORGIVE_STRIKES_LUA}redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
if #KEYS >= 5 then forgiveStrikes(KEYS[5], ARGV[4]) end
return 1
`,
);
